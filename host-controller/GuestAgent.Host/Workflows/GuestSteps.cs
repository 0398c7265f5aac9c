using GuestAgent.Host.Agent;
using GuestAgent.Protocol.Client;

namespace GuestAgent.Host.Workflows;

/// <summary>Steps in the guest that several workflows take.</summary>
public static class GuestSteps
{
    /// <summary>Tells the guest to online a DIMM again (after a refused or cut-short unplug); reports what it said.</summary>
    public static async Task CancelAsync(HostSession session, string name, int slot, CancellationToken cancellationToken)
    {
        if (session.Agent is null)
        {
            session.Say("guest-cancel", $"guest: cannot ask it to online slot {slot} again ({session.AgentProblem}); a restarted agent onlines any block left offline", name);
            return;
        }

        try
        {
            var result = await session.Agent.CancelUnplugAsync(slot, session.Options.PrepareTimeout, cancellationToken).ConfigureAwait(false);
            session.Say("guest-cancel", $"guest: slot {slot} {(result.Ok ? "online again" : "could not be onlined again: " + result.Message)}", name);
        }
        catch (ProtocolErrorException e)
        {
            session.Say("guest-cancel", $"guest: cancel-unplug of slot {slot}: {e.Error.Desc}", name);
        }
        catch (AgentUnavailableException e)
        {
            session.Say("guest-cancel", $"guest: cannot ask it to online slot {slot} again ({e.Message}); a restarted agent onlines any block left offline", name);
        }
    }

    public static string Describe(State.DimmOperation operation) => operation switch
    {
        State.DimmOperation.AddingBackend or State.DimmOperation.AddingDevice => "plug",
        State.DimmOperation.Preparing => "unplug (guest preparing)",
        State.DimmOperation.Deleting => "unplug (waiting for the hypervisor)",
        State.DimmOperation.RemovingBackend => "backend removal",
        _ => "nothing",
    };
}
