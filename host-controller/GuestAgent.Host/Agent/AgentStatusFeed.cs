using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GuestAgent.Protocol;

namespace GuestAgent.Host.Agent;

/// <summary>
/// The <c>MEMORY_STATUS</c> reports of one agent connection, each stamped with when it arrived: the newest 64 kept
/// for a reader that falls behind (older ones are of no use to a decision), unreadable ones counted, not kept.
/// </summary>
public sealed class AgentStatusFeed(TimeProvider time)
{
    public const int Kept = 64;

    private readonly Channel<MemoryStatusReport> _statuses = Channel.CreateBounded<MemoryStatusReport>(new BoundedChannelOptions(Kept) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private int _unreadable;

    public ChannelReader<MemoryStatusReport> Reader => _statuses.Reader;

    /// <summary>Reports whose data did not match the protocol (counted, not kept).</summary>
    public int Unreadable => Volatile.Read(ref _unreadable);

    /// <summary>Takes one event's data.</summary>
    public void Offer(JsonNode? data)
    {
        try
        {
            if (data.Deserialize(ProtocolJsonContext.Default.MemoryStatusData) is { } status)
            {
                _statuses.Writer.TryWrite(new MemoryStatusReport(status, time.GetUtcNow()));
            }
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _unreadable);
        }
    }

    /// <summary>The connection closed: a reader ends after what is left.</summary>
    public void Complete() => _statuses.Writer.TryComplete();
}
