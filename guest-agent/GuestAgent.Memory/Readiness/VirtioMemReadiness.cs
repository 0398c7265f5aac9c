using GuestAgent.Memory.Capacity;
using GuestAgent.Memory.Model;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Memory.Readiness;

/// <summary>
/// Pure: how much of a virtio-mem device the guest can give back now. The hypervisor shrinks such a device by lowering
/// its requested size; the guest's driver then unplugs whatever it can, in small units, Movable memory first and
/// offline memory freely. Memory in a kernel zone it can only give back where nothing unmovable sits, which nobody can
/// promise, so it counts for nothing here. Unplugging Movable memory moves what it holds into the rest of the guest,
/// so at most <c>MemAvailable − reserve</c> of it can go (the capacity rule of DIMMs, <see cref="UnplugCapacity"/>).
/// The device is <c>ready</c> when some of it can go; <see cref="DimmReadiness.UnpluggableBytes"/> says how much.
/// </summary>
public static class VirtioMemReadiness
{
    public static DimmReadiness Evaluate(MemorySnapshot snapshot, Dimm device, ReadinessContext context)
    {
        var account = VirtioMemAccounting.Of(snapshot, device, context.Capacity);
        var (movable, kernel, offline) = (account.Movable, account.Kernel, account.Offline);
        var unreadable = snapshot.BlocksOf(device).FirstOrDefault(b => b.State == BlockState.Online && b.Zone is null or ZoneNames.None)?.Name;
        var added = account.Plugged;
        if (added == 0)
        {
            return new DimmReadiness(ReadinessState.NotReady, $"nothing of its {ByteSize.Approximate(device.SizeBytes)} region is plugged")
            {
                Blocker = ReadinessBlocker.NoBlocks,
                UnpluggableBytes = 0,
                VirtioMem = account,
            };
        }

        var split = $"{ByteSize.Approximate(added)} plugged: {ByteSize.Approximate(movable)} online in Movable"
            + (kernel > 0 ? $", up to {ByteSize.Approximate(kernel)} in kernel zones (not counted: unmovable pages may sit there{(unreadable is null ? "" : $"; {unreadable} unreadable")})" : "")
            + (offline > 0 ? $", up to {ByteSize.Approximate(offline)} offline" : "")
            + (account.Note is { } note ? $" ({note})" : "");
        var reserve = ByteSize.Approximate(context.ReserveBytes);
        if (UnplugCapacity.Headroom(context.Capacity, context.ReserveBytes) is not { } headroom)
        {
            return new DimmReadiness(offline > 0 ? ReadinessState.Ready : ReadinessState.NotReady,
                $"{split}; whether the rest of the guest can take what its Movable part holds is unknown ({context.Capacity.Problem ?? "no MemAvailable"})")
            {
                Blocker = offline > 0 ? null : ReadinessBlocker.CapacityUnknown,
                UnpluggableBytes = offline,
                VirtioMem = account,
            };
        }

        var fromMovable = Math.Min(movable, headroom);
        var unpluggable = offline + fromMovable;
        if (unpluggable == 0)
        {
            return movable == 0
                ? new DimmReadiness(ReadinessState.NotReady, $"{split}: none of it can be given back safely (only its Movable part can; the agent onlines virtio-mem memory into Movable under the policies movable and auto-movable, see Memory:Policy)")
                {
                    Blocker = ReadinessBlocker.KernelZone,
                    UnpluggableBytes = 0,
                    VirtioMem = account,
                }
                : new DimmReadiness(ReadinessState.NotReady, $"{split}; the rest of the guest has no room for what it holds: {reserve} must stay available (Memory:UnplugReserve); free memory in the guest first")
                {
                    Blocker = ReadinessBlocker.Capacity,
                    UnpluggableBytes = 0,
                    VirtioMem = account,
                };
        }

        var limit = fromMovable < movable
            ? $"; up to {ByteSize.Approximate(unpluggable)} can be unplugged now (the rest of the guest can take ~{ByteSize.Approximate(headroom)} with {reserve} kept available)"
            : $"; all {ByteSize.Approximate(unpluggable)} of that can be unplugged now, {reserve} staying available";
        return new DimmReadiness(ReadinessState.Ready, split + limit) { UnpluggableBytes = unpluggable, VirtioMem = account };
    }
}
