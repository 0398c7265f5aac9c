using System.Globalization;
using GuestAgent.Host.Agent;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// autoscale's connection to the guest agent: made when there is none (at most every few seconds, a minute for an
/// agent too old to report), asked to push its memory status every interval, let go of when a person's command needs
/// the channel. Says why there are no reports when there are none.
/// </summary>
public sealed class ReportSource(AutoscaleOptions autoscale, TimeSpan agentTimeout, TimeProvider time) : IAsyncDisposable
{
    private DateTimeOffset _nextConnect = DateTimeOffset.MinValue;

    /// <summary>The connection, when there is one.</summary>
    public AgentLink? Agent { get; private set; }

    /// <summary>Why there are no reports, for people; null when they come.</summary>
    public string? Problem { get; set; }

    /// <summary>
    /// Connects when there is no connection and it is time to try (<paramref name="path"/>: the agent's channel; null:
    /// <paramref name="noChannel"/> says why there is none). A connection found lost is let go of and
    /// <paramref name="lost"/> told why, before anything else; <paramref name="say"/> is told of a new one.
    /// </summary>
    public async Task KeepAsync(DateTimeOffset now, string? path, string? noChannel, Action<string> lost, Action<string> say, CancellationToken stop)
    {
        if (Agent is not null && !Agent.Stopped.IsCompleted)
        {
            return;
        }

        if (Agent is not null)
        {
            var why = await Agent.Stopped.ConfigureAwait(false);
            await LetGoAsync().ConfigureAwait(false);
            lost(why);
        }

        if (now < _nextConnect)
        {
            return;
        }

        _nextConnect = now + autoscale.ReconnectEvery;
        if (path is null)
        {
            Problem = "no agent channel: " + (noChannel ?? "give --agent PATH");
            return;
        }

        AgentLink? link = null;
        try
        {
            link = await AgentLink.ConnectAsync(path, agentTimeout, stop, time).ConfigureAwait(false);
            if (!link.CanReportMemory)
            {
                Problem = $"the guest agent (version {link.Hello.Version}) cannot report its memory (no \"memory-status\"): upgrade it in the guest";
                _nextConnect = now + TimeSpan.FromMinutes(1);
                return;
            }

            await link.WatchMemoryAsync(autoscale.Limits.Interval, agentTimeout, stop).ConfigureAwait(false);
            (Agent, link, Problem) = (link, null, null);
            say($"the agent reports every {autoscale.Limits.Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
        }
        catch (Exception e) when (e is AgentUnavailableException or Protocol.Client.ProtocolErrorException)
        {
            Problem = "no agent: " + e.Message;
        }
        finally
        {
            if (link is not null)
            {
                await link.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The next report already received, if any.</summary>
    public bool TryRead(out MemoryStatusReport report)
    {
        report = null!;
        return Agent is not null && Agent.Statuses.TryRead(out report!);
    }

    /// <summary>Completes when a report can be read (never without a connection).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) =>
        Agent is null ? Task.Delay(Timeout.Infinite, cancellationToken) : Agent.Statuses.WaitToReadAsync(cancellationToken).AsTask();

    public async Task LetGoAsync()
    {
        if (Agent is { } agent)
        {
            Agent = null;
            await agent.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(LetGoAsync());
}
