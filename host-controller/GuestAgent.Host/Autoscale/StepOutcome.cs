namespace GuestAgent.Host.Autoscale;

/// <summary>How a step ended: done, not taken because something else had the VM or it changed (no failure), or failed (why).</summary>
public sealed record StepOutcome(StepResult Result, string Message, long? MemoryAfter = null)
{
    public static StepOutcome Done(string message, long memory) => new(StepResult.Done, message, memory);

    public static StepOutcome NotTaken(string why) => new(StepResult.NotTaken, why);

    public static StepOutcome Failed(string why) => new(StepResult.Failed, why);
}
