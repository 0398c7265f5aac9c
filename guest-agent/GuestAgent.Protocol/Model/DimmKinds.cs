namespace GuestAgent.Protocol.Model;

/// <summary>The values of <see cref="DimmReport.Kind"/>: what the agent writes and what hosts match on.</summary>
public static class DimmKinds
{
    public const string Acpi = "acpi";

    public const string VirtioMem = "virtio-mem";

    public const string Boot = "boot";

    public const string Range = "range";
}
