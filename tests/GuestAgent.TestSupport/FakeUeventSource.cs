using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GuestAgent.Memory.Uevents;

namespace GuestAgent.TestSupport;

/// <summary>A uevent source a test feeds by hand.</summary>
public sealed class FakeUeventSource : IUeventSource
{
    private readonly Channel<Uevent> _events = Channel.CreateUnbounded<Uevent>();

    public void Send(Uevent uevent) => _events.Writer.TryWrite(uevent);

    /// <summary>Sends a <c>SUBSYSTEM=memory</c> event for <c>memoryN</c> as the kernel formats it.</summary>
    public void SendMemory(string action, int blockId)
    {
        var devPath = "/devices/system/memory/memory" + blockId;
        Send(new Uevent(action, devPath, new Dictionary<string, string>
        {
            ["ACTION"] = action,
            ["DEVPATH"] = devPath,
            ["SUBSYSTEM"] = "memory",
        }));
    }

    public async IAsyncEnumerable<Uevent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            Uevent next;
            try
            {
                next = await _events.Reader.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            yield return next;
        }
    }
}
