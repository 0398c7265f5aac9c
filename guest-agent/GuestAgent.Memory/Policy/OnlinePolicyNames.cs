namespace GuestAgent.Memory.Policy;

/// <summary>The policy names used in configuration, the CLI and the protocol.</summary>
public static class OnlinePolicyNames
{
    public static string Format(OnlinePolicyKind kind) => kind switch
    {
        OnlinePolicyKind.Movable => "movable",
        OnlinePolicyKind.AutoMovable => "auto-movable",
        OnlinePolicyKind.Kernel => "kernel",
        OnlinePolicyKind.None => "none",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? text, out OnlinePolicyKind kind)
    {
        kind = OnlinePolicyKind.Movable;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "movable":
                kind = OnlinePolicyKind.Movable;
                return true;
            case "auto-movable" or "auto_movable" or "automovable":
                kind = OnlinePolicyKind.AutoMovable;
                return true;
            case "kernel":
                kind = OnlinePolicyKind.Kernel;
                return true;
            case "none":
                kind = OnlinePolicyKind.None;
                return true;
            default:
                return false;
        }
    }

    public const string Choices = "movable, auto-movable, kernel, none";
}
