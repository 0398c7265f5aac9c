namespace GuestAgent.Memory.Agent;

/// <summary>An operation the agent runs on one DIMM: why, how to stop it, and when it has finished.</summary>
public sealed class BusyOperation(string reason, CancellationTokenSource cancellation)
{
    public const string Preparing = "preparing unplug";
    public const string Reonlining = "re-onlining";
    public const string MakingMovable = "moving into Movable";

    public string Reason { get; } = reason;

    public CancellationTokenSource Cancellation { get; } = cancellation;

    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
