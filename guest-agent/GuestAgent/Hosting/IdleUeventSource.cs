using System.Runtime.CompilerServices;
using GuestAgent.Memory.Uevents;

namespace GuestAgent.Hosting;

/// <summary>Used when no netlink socket can be opened: no events, only the periodic resync.</summary>
public sealed class IdleUeventSource : IUeventSource
{
    public async IAsyncEnumerable<Uevent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        yield break;
    }
}
