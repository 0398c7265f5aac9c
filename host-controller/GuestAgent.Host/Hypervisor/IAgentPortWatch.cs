namespace GuestAgent.Host.Hypervisor;

/// <summary>A watch on the guest's end of the agent's port (see <see cref="IHypervisor.WatchAgentPortAsync"/>).</summary>
public interface IAgentPortWatch : IDisposable
{
    /// <summary>Completes with what happened when the guest closes the port.</summary>
    Task<string> Closed { get; }
}
