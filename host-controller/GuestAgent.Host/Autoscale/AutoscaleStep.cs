using System.Diagnostics;
using System.Globalization;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Hypervisor;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Reporting;
using GuestAgent.Host.Workflows;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// One step of autoscale, the only time it holds the VM's lock: opens the VM as any command does (lock named after
/// the step, state file reconciled, the agent connection autoscale keeps), reads it again and decides again with what
/// it reads now, and carries the decision out through the same workflows as <c>plug</c>, <c>unplug</c> and
/// <c>set-memory</c> (journaled, rolled back on failure, every removed DIMM prepared by the guest first). Never forced, but for the one grow past a zero plug budget
/// the policy gives a guest running out (<see cref="AutoscaleDecision.PastBudget"/>).
/// </summary>
public sealed class AutoscaleStep(HostOptions options, IHostReporter reporter, TimeProvider time)
{
    /// <summary>Carries out <paramref name="planned"/> if, read again under the lock, <paramref name="decide"/> still says so.</summary>
    public async Task<StepOutcome> RunAsync(AutoscaleDecision planned, AgentLink agent, MemoryStatusReport latest, Func<VmShape, MigrationPhase, AutoscaleDecision> decide, CancellationToken cancellationToken)
    {
        var command = $"{State.LockHolder.AutoscalePrefix}: {Verb(planned.Action)} {ByteSize.Format(planned.Bytes)}";
        HostSession session;
        try
        {
            session = await HostSession.OpenAsync(options with { Command = command }, reporter, cancellationToken, time, agent).ConfigureAwait(false);
        }
        catch (MonitorHeldException e)
        {
            return StepOutcome.NotTaken(e.Message);
        }
        catch (IOException e) when (e.Message.StartsWith("another guest-agent-host", StringComparison.Ordinal))
        {
            return StepOutcome.NotTaken(e.Message);
        }
        catch (Exception e) when (e is HostCommandException or QmpException or QmpCommandException or IOException or InvalidDataException or HypervisorRefusedException or Libvirt.LibvirtException)
        {
            return StepOutcome.Failed(e.Message);
        }

        await using (session.ConfigureAwait(false))
        {
            if (session.Migration.Holds)
            {
                return StepOutcome.NotTaken($"a migration holds the VM ({session.Migration.Said})");
            }

            var watch = Stopwatch.StartNew();
            try
            {
                var (memory, limits) = await session.ReadAsync(cancellationToken).ConfigureAwait(false);
                var shape = VmShapeBuilder.Build(memory, limits, latest.Status.Devices);
                var now = decide(shape, session.Migration.Phase);
                if (now.Action != planned.Action || now.Bytes != planned.Bytes || !now.Devices.SequenceEqual(planned.Devices))
                {
                    return StepOutcome.NotTaken($"read again under the lock, the VM says otherwise: {now.Reason}");
                }

                await CarryOutAsync(session, memory, now, cancellationToken).ConfigureAwait(false);
                var after = (await session.Hypervisor.ReadMemoryAsync(cancellationToken).ConfigureAwait(false)).CurrentMemory;
                return StepOutcome.Done(string.Create(CultureInfo.InvariantCulture, $"{Verb(now.Action)} done in {watch.Elapsed.TotalSeconds:0.0} s: memory {ByteSize.Format(memory.CurrentMemory)} → {ByteSize.Format(after)}"), after);
            }
            catch (Exception e) when (e is HostCommandException or QmpException or QmpCommandException or IOException or InvalidDataException or AgentUnavailableException
                                          or ProtocolErrorException or HypervisorRefusedException or Libvirt.LibvirtException)
            {
                return StepOutcome.Failed(e.Message);
            }
        }
    }

    private static async Task CarryOutAsync(HostSession session, HypervisorMemory memory, AutoscaleDecision decision, CancellationToken cancellationToken)
    {
        if (memory.VirtioMem.Count > 0)
        {
            var model = await session.Agent!.ModelSeeingAsync(memory, session.Options.AgentTimeout, cancellationToken).ConfigureAwait(false);
            var target = memory.CurrentMemory + (decision.Action == AutoscaleAction.Grow ? decision.Bytes : -decision.Bytes);
            await VirtioMemResizeWorkflow.RunAsync(session, memory, model, target, force: decision.PastBudget, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (decision.Action == AutoscaleAction.Grow)
        {
            await PlugWorkflow.RunAsync(session, decision.Bytes, node: null, force: decision.PastBudget, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (var id in decision.Devices)
        {
            await UnplugWorkflow.RunAsync(session, id, force: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Verb(AutoscaleAction action) => action == AutoscaleAction.Grow ? "grow" : "shrink";
}
