using System.Diagnostics;
using GuestAgent.Host.Operations;
using GuestAgent.Host.State;
using GuestAgent.Protocol.Client;

namespace GuestAgent.Host.Workflows;

/// <summary>
/// <c>make-movable ID</c>: the guest moves a DIMM it has online in a kernel zone into Movable (offline, then online
/// Movable; the agent rolls back on any failure), so that it can be unplugged later. Guest only: the hypervisor is
/// not asked to change anything, and nothing is recorded in the state file.
/// </summary>
public static class MakeMovableWorkflow
{
    public static async Task RunAsync(HostSession session, string name, bool force, CancellationToken cancellationToken)
    {
        var memory = await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false);
        var dimm = memory.Find(name) ?? throw new HostCommandException($"no DIMM '{Printable.Of(name)}'; the hypervisor has: {(memory.Dimms.Count > 0 ? string.Join(", ", memory.Dimms.Select(d => d.Name)) : "no DIMMs")}");
        if (session.State.Find(dimm.Name) is { Operation: not DimmOperation.None } record)
        {
            throw new HostCommandException($"{dimm.Name} is being worked on: {GuestSteps.Describe(record.Operation)} since {record.OperationStarted:u}");
        }

        var slot = dimm.Slot ?? throw new HostCommandException($"{dimm.Name} has no slot");
        var agent = session.Agent ?? throw new HostCommandException($"make-movable needs the guest agent: {session.AgentProblem}");
        if (!agent.CanMakeMovable)
        {
            throw new HostCommandException($"the guest agent {agent.Hello.Version} has no make-movable; update guest-agent in the guest");
        }

        var watch = Stopwatch.StartNew();
        using var port = await session.Hypervisor.WatchAgentPortAsync(session.Options.AgentPortName, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await agent.MakeMovableAsync(slot, force, session.Options.PrepareTimeout, cancellationToken, port.Closed).ConfigureAwait(false);
            session.Say("guest-movable", $"guest: {dimm.Name} {result.Message} ({watch.Elapsed.TotalSeconds:0.00} s); readiness: {result.Readiness ?? "unknown"}", dimm.Name);
        }
        catch (ProtocolErrorException e)
        {
            throw new HostCommandException($"the guest could not move {dimm.Name} into Movable: {e.Error.Desc}{(e.Error.Errno is null ? "" : $" ({e.Error.Errno})")}", e);
        }
    }
}
