namespace GuestAgent.Memory.Uevents;

/// <summary>Where kernel uevents come from: the netlink socket, or a test that feeds them.</summary>
public interface IUeventSource
{
    /// <summary>Events as they arrive; <see cref="Uevent.Overflow"/> when some were lost. Ends when cancelled.</summary>
    IAsyncEnumerable<Uevent> ReadAllAsync(CancellationToken cancellationToken);
}
