namespace GuestAgent.Host.Operations;

/// <summary><c>status</c>: QEMU's view joined with the guest's, with totals in KubeVirt's terms.</summary>
public sealed record StatusReport
{
    public required string Qmp { get; init; }

    public required string QemuVersion { get; init; }

    public required long BootMemory { get; init; }

    public required long CurrentMemory { get; init; }

    /// <summary>The last <c>set-memory</c> target; the current memory when none was asked.</summary>
    public required long RequestedMemory { get; init; }

    public long? MaxMemory { get; init; }

    /// <summary>Room under maxmem for more DIMMs.</summary>
    public long? RoomLeft { get; init; }

    public int? Slots { get; init; }

    public required int SlotsUsed { get; init; }

    public int? FreeSlots { get; init; }

    public required bool AgentConnected { get; init; }

    /// <summary>Why the agent is not connected, when it is not.</summary>
    public string? AgentProblem { get; init; }

    public string? AgentVersion { get; init; }

    public string? GuestPolicy { get; init; }

    public long? GuestBlockSize { get; init; }

    /// <summary>Guest-reported memory in DIMMs that QEMU does not list (should be empty).</summary>
    public IReadOnlyList<string> GuestOnly { get; init; } = [];

    public required IReadOnlyList<DimmStatus> Dimms { get; init; }
}
