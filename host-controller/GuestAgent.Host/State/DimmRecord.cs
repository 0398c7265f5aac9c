namespace GuestAgent.Host.State;

/// <summary>One DIMM the controller knows: created by it, or adopted from QEMU's view (plugged by someone else).</summary>
public sealed class DimmRecord
{
    public required string Id { get; init; }

    /// <summary>The memory backend object (QEMU); empty where the hypervisor manages it.</summary>
    public required string Backend { get; init; }

    /// <summary>For a DIMM the hypervisor lists without an id: how it addresses it (QEMU's QOM path).</summary>
    public string? Path { get; set; }

    public required long Size { get; init; }

    public int? Node { get; set; }

    public int? Slot { get; set; }

    public long? Addr { get; set; }

    /// <summary>True when QEMU had it before this controller saw it (not created here).</summary>
    public bool Adopted { get; init; }

    public DateTimeOffset Created { get; init; }

    public DimmOperation Operation { get; set; }

    public DateTimeOffset? OperationStarted { get; set; }

    /// <summary>The guest offlined the DIMM for this unplug (so a rollback must online it again).</summary>
    public bool GuestPrepared { get; set; }

    public void Begin(DimmOperation operation, DateTimeOffset now)
    {
        Operation = operation;
        OperationStarted = now;
    }

    public void Finish()
    {
        Operation = DimmOperation.None;
        OperationStarted = null;
        GuestPrepared = false;
    }
}
