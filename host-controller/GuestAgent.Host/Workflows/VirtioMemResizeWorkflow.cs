using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>set-memory</c> on a VM with a virtio-mem device: the change goes to the device's requested size, the way
/// KubeVirt resizes memory. A shrink first asks the guest how much of the device it can give back now and never asks
/// for more without <c>--force</c>. Then the device's size is followed (QEMU's <c>MEMORY_DEVICE_SIZE_CHANGE</c> is
/// rate-limited, so it is read once a second) until it reaches the request. A shrink the guest cannot complete has no
/// failure event: when the size stands still short of the request for <see cref="HostOptions.ResizeStallTimeout"/>,
/// the request is set back to the size reached (or the driver keeps retrying for ever), what the guest reports is
/// said, and the command fails. DIMMs the VM also has are left as they are.
/// </summary>
public static class VirtioMemResizeWorkflow
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    /// <summary>Returns the memory the VM ends with.</summary>
    public static async Task<long> RunAsync(HostSession session, HypervisorMemory memory, ModelReport? model, long target, bool force, CancellationToken cancellationToken)
    {
        var device = memory.VirtioMem[0];
        var current = memory.CurrentMemory;
        var delta = target - current;
        var others = memory.VirtioMem.Count > 1 ? $" (the first of {memory.VirtioMem.Count} virtio-mem devices)" : "";
        var dimms = memory.Dimms.Count > 0 ? $"; its {memory.Dimms.Count} DIMMs stay (unplug them by id)" : "";
        if (delta == 0)
        {
            session.Say("plan", $"memory is already {ByteSize.Format(current)}");
            return current;
        }

        if (device.BlockSize > 0 && delta % device.BlockSize != 0)
        {
            throw new HostCommandException(
                $"{ByteSize.Format(target)} is not reachable through virtio-mem {device.Id}: the change ({ByteSize.Format(Math.Abs(delta))}) must be a multiple of its block size {ByteSize.Format(device.BlockSize)}");
        }

        var requested = device.Size + delta;
        if (requested > device.MaxSize)
        {
            throw new HostCommandException(
                $"{ByteSize.Format(target)} is beyond what virtio-mem {device.Id} can add: it has {ByteSize.Format(device.Size)} of at most {ByteSize.Format(device.MaxSize)}, so the VM can reach {ByteSize.Format(current - device.Size + device.MaxSize)}");
        }

        if (requested < 0)
        {
            throw new HostCommandException(
                $"{ByteSize.Format(target)} is below what virtio-mem {device.Id} can take away: it has {ByteSize.Format(device.Size)} plugged, so the VM can shrink to {ByteSize.Format(current - device.Size)} through it{dimms}");
        }

        if (delta < 0)
        {
            CheckTheGuestCanGiveBack(session, model, device, -delta, force);
        }
        else if (model is not null && PlugBudgetCheck.Exceeded(model, delta, device.Node) is { } tooMuch)
        {
            // As for a DIMM: memory the guest could not give back again.
            if (!force)
            {
                throw new HostCommandException($"cannot grow virtio-mem {device.Id} by {ByteSize.Format(delta)}: {tooMuch}; --force grows it anyway");
            }

            session.Say("forced", $"--force: {tooMuch}; growing virtio-mem {device.Id} by {ByteSize.Format(delta)} anyway", device.Id);
        }

        await session.RefuseDuringMigrationAsync($"resize virtio-mem {device.Id}", cancellationToken).ConfigureAwait(false);
        session.Say("plan", $"memory {ByteSize.Format(current)} → {ByteSize.Format(target)} through virtio-mem {device.Id}{others}: requested size {ByteSize.Format(device.RequestedSize)} → {ByteSize.Format(requested)}{dimms}");
        try
        {
            await session.Hypervisor.RequestVirtioMemSizeAsync(device, requested, cancellationToken).ConfigureAwait(false);
        }
        catch (HypervisorRefusedException e)
        {
            throw new HostCommandException(e.Message, e);
        }

        session.State.RequestedMemory = target;
        session.State.LastChangeProblem = null;
        session.Save();
        var reached = await FollowAsync(session, device, requested, cancellationToken).ConfigureAwait(false);
        var ended = current - device.Size + reached.Size;
        if (reached.Size == requested)
        {
            session.Say("resized", $"virtio-mem {device.Id} has {ByteSize.Format(reached.Size)} plugged ({ByteSize.Format(Math.Abs(delta))} {(delta > 0 ? "added" : "given back")})", device.Id);
            return ended;
        }

        // Stalled: the guest's driver would retry for ever; ask it for what it has.
        var guestSays = await GuestReasonAsync(session, reached).ConfigureAwait(false);
        string reset;
        try
        {
            await session.Hypervisor.RequestVirtioMemSizeAsync(reached, reached.Size, cancellationToken).ConfigureAwait(false);
            reset = $"requested size set back to {ByteSize.Format(reached.Size)}, what it reached, so the guest stops trying";
        }
        catch (HypervisorRefusedException e)
        {
            reset = $"setting the requested size back failed ({e.Message}): the guest keeps trying";
        }

        var problem = $"virtio-mem {device.Id} stopped at {ByteSize.Format(reached.Size)} on the way to {ByteSize.Format(requested)}: its size did not move for {session.Options.ResizeStallTimeout.TotalSeconds:0} s";
        session.State.LastChangeProblem = problem;
        session.Save();
        throw new HostCommandException($"{problem}; {reset}; the guest says: {guestSays}; memory is {ByteSize.Format(ended)}");
    }

    private static void CheckTheGuestCanGiveBack(HostSession session, ModelReport? model, VirtioMemDevice device, long bytes, bool force)
    {
        if (force)
        {
            return;
        }

        if (model is null)
        {
            throw new HostCommandException($"refusing to shrink: the guest agent is not answering ({session.AgentProblem}), so how much of virtio-mem {device.Id} the guest can give back is unknown; --force asks anyway");
        }

        var guest = GuestDimm.FindVirtioMem(model, device);
        if (guest?.Report.Unpluggable is not { } unpluggable)
        {
            throw new HostCommandException($"refusing to shrink: the guest agent does not report virtio-mem {device.Id} ({guest?.Reason ?? "no region at " + ByteSize.Address(device.Addr)}); --force asks anyway");
        }

        if (bytes > unpluggable)
        {
            throw new HostCommandException(
                $"refusing to shrink by {ByteSize.Format(bytes)}: the guest can give back ~{ByteSize.Approximate(unpluggable)} of virtio-mem {device.Id} now ({guest.Reason}); --force asks anyway (the guest then gives what it can and the rest stalls)");
        }
    }

    /// <summary>
    /// Reads the device once a second until its size is the request, or has not moved for the stall limit. While a
    /// migration runs, QEMU answers the guest's driver BUSY: that time is the migration's, not a stall; if the VM
    /// migrates away meanwhile, the destination carries the request and its guest completes it there.
    /// </summary>
    private static async Task<VirtioMemDevice> FollowAsync(HostSession session, VirtioMemDevice device, long requested, CancellationToken cancellationToken)
    {
        var last = device;
        var time = session.Time;
        var started = time.GetTimestamp();
        var moved = started;
        var heldSaid = false;
        while (true)
        {
            var now = (await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false)).VirtioMem.FirstOrDefault(d => d.Id == device.Id)
                ?? throw new HostCommandException($"virtio-mem {device.Id} is gone from the hypervisor's list during the resize");
            if (now.Size == requested)
            {
                return now;
            }

            var migration = await session.Hypervisor.MigrationStateAsync(cancellationToken).ConfigureAwait(false);
            if (migration.Phase == MigrationPhase.MigratedAway)
            {
                var problem = $"the VM migrated away during the resize of virtio-mem {device.Id} ({migration.Said}) at {ByteSize.Format(now.Size)} of {ByteSize.Format(requested)}: "
                    + "the destination carries the request and its guest completes it there (status on the destination shows it); not confirmed here";
                session.State.LastChangeProblem = problem;
                session.Save();
                throw new HostCommandException(problem);
            }

            if (migration.Holds)
            {
                if (!heldSaid)
                {
                    session.Say("progress", $"virtio-mem {device.Id}: held by a migration ({migration.Said}): QEMU answers the guest's driver BUSY until it ends; this is not a stall", device.Id);
                    heldSaid = true;
                }

                moved = time.GetTimestamp();
            }
            else if (now.Size != last.Size)
            {
                session.Say("progress", $"virtio-mem {device.Id}: {ByteSize.Format(now.Size)} plugged after {time.GetElapsedTime(started).TotalSeconds:0.0} s (target {ByteSize.Format(requested)})", device.Id);
                moved = time.GetTimestamp();
            }
            else if (time.GetElapsedTime(moved) >= session.Options.ResizeStallTimeout)
            {
                return now;
            }

            last = now;
            await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<string> GuestReasonAsync(HostSession session, VirtioMemDevice device)
    {
        if (session.Agent is null)
        {
            return "nothing (no agent: " + session.AgentProblem + ")";
        }

        try
        {
            var model = await session.Agent.RefreshModelAsync(session.Options.AgentTimeout, CancellationToken.None).ConfigureAwait(false);
            return GuestDimm.FindVirtioMem(model, device)?.Reason ?? "nothing about this device";
        }
        catch (Exception e) when (e is AgentUnavailableException or Protocol.Client.ProtocolErrorException)
        {
            return "nothing (" + e.Message + ")";
        }
    }
}
