using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Client;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Model;
using GuestAgent.Protocol.Payloads;

namespace GuestAgent.Host.Agent;

/// <summary>
/// The host's conversation with the guest agent over the VM's virtio-serial chardev socket (docs/protocol.md): 0xFF +
/// <c>hello</c>, the model from <c>AGENT_READY</c> kept current, requests that fail promptly when the agent announces
/// <c>AGENT_STOPPING</c> or the stream ends, and every event passed on for <c>watch</c>.
/// </summary>
public sealed class AgentLink : IAsyncDisposable
{
    private readonly ProtocolClient _client;
    /// <summary>Events kept for a reader (<c>watch</c>) at most; a link nobody reads (autoscale's, for hours) keeps only the newest.</summary>
    public const int KeptEvents = 4096;

    private readonly Channel<JsonObject> _events = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(KeptEvents) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
    private readonly TaskCompletionSource<string> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ModelReport> _readyOnce = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;
    private ModelReport? _model;
    private long? _uptime;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TimeProvider _time;
    private readonly AgentStatusFeed _statuses;

    private AgentLink(ProtocolClient client, string path, TimeProvider time)
    {
        _client = client;
        Path = path;
        _time = time;
        _statuses = new AgentStatusFeed(time);
        _pump = PumpAsync();
    }

    public string Path { get; }

    public HelloReturn Hello { get; private set; } = null!;

    /// <summary>The latest whole model (from <c>AGENT_READY</c> or <c>get-model</c>).</summary>
    public ModelReport Model => _model ?? throw new InvalidOperationException("no model yet");

    /// <summary>Every event the agent sends, in order (for <c>watch</c>), but <c>MEMORY_STATUS</c>.</summary>
    public ChannelReader<JsonObject> Events => _events.Reader;

    /// <summary><c>MEMORY_STATUS</c> reports after <see cref="WatchMemoryAsync"/>, each with when it arrived (the newest 64 kept).</summary>
    public ChannelReader<MemoryStatusReport> Statuses => _statuses.Reader;

    /// <summary>The agent pushes its memory status on request (<c>watch-memory</c>).</summary>
    public bool CanReportMemory => Hello.Capabilities.Contains("memory-status");

    /// <summary><c>MEMORY_STATUS</c> reports that did not match the protocol (skipped).</summary>
    public int UnreadableStatuses => _statuses.Unreadable;

    /// <summary>The agent takes <c>force</c> in <c>prepare-unplug</c> (it checks capacity first).</summary>
    public bool CanForcePrepare => Hello.Capabilities.Contains("force-prepare");

    /// <summary>Completes when the agent next sends an event (of any kind), or the connection ends.</summary>
    public Task NextEvent => Volatile.Read(ref _changed).Task;

    /// <summary>Completes with a reason when the agent says it is stopping or the connection ends.</summary>
    public Task<string> Stopped => _stopped.Task;

    /// <summary>
    /// Connects and says hello; throws <see cref="AgentUnavailableException"/> when nobody answers within
    /// <paramref name="timeout"/>. A first connection that stays silent for <see cref="FirstTry"/> is closed and made
    /// again: QEMU stops passing the guest's writes to a virtio-serial port's host side once the guest wrote while no
    /// host was connected (after a pause the guest can miss that the host left), and only the host side closing
    /// clears that; a second hello on the same connection is never answered then (measured on QEMU 7.2, issue 25).
    /// </summary>
    public static async Task<AgentLink> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var started = time.GetTimestamp();
        var junk = 0;
        for (var attempt = 1; ; attempt++)
        {
            var left = timeout - time.GetElapsedTime(started);
            var wait = attempt == 1 ? Min(FirstTry(timeout), left) : left;
            var link = await OpenAsync(path, time, cancellationToken).ConfigureAwait(false);
            try
            {
                if (await link.HelloAsync(wait, time, cancellationToken).ConfigureAwait(false))
                {
                    return link;
                }

                junk += link._client.SkippedLines;
            }
            catch
            {
                await link.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            await link.DisposeAsync().ConfigureAwait(false);
            if (attempt > 1 || time.GetElapsedTime(started) >= timeout)
            {
                throw new AgentUnavailableException(
                    $"the guest agent did not answer on {path} within {timeout.TotalSeconds:0} s"
                    + (junk > 0 ? $" ({junk} lines of junk received instead)" : " (is guest-agent running in the guest?)"));
            }
        }
    }

    /// <summary>How long the first connection may stay silent before it is made again (the agent answers hello in well under a second).</summary>
    public static TimeSpan FirstTry(TimeSpan timeout) => Min(TimeSpan.FromSeconds(2), timeout / 3);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static async Task<AgentLink> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new AgentUnavailableException($"cannot connect to the agent's channel: {Sockets.UnixSocketErrors.Describe(path, e)}", e);
        }

        return new AgentLink(new ProtocolClient(new NetworkStream(socket, ownsSocket: true)), path, time);
    }

    /// <summary>0xFF + <c>hello</c> and its <c>AGENT_READY</c>; false when nothing answered within <paramref name="limit"/>.</summary>
    private async Task<bool> HelloAsync(TimeSpan limit, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(limit, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            Hello = await _client.HelloAsync(["events", "memory-status"], both.Token).ConfigureAwait(false);
            _model = await _readyOnce.Task.WaitAsync(both.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException e)
        {
            throw new AgentUnavailableException($"the agent's channel {Path} closed: {e.Message}", e);
        }
        catch (ProtocolErrorException e)
        {
            throw new AgentUnavailableException($"the guest agent refused hello: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new AgentUnavailableException($"the guest agent's hello reply is not what the protocol says: {e.Message}", e);
        }
    }

    public async Task<ModelReport> RefreshModelAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        _model = await RequestAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, timeout, cancellationToken).ConfigureAwait(false);
        return _model;
    }

    /// <summary>
    /// The guest's model, made to agree with the hypervisor's <paramref name="memory"/> if it can: when a DIMM the
    /// hypervisor lists is missing from it (plugged moments ago, its uevents still settling), it still shows memory the
    /// hypervisor no longer lists (removed moments ago), or it counts a virtio-mem device's plugged memory other than the
    /// hypervisor's size (resized moments ago, the driver's blocks still settling), the agent is asked to <c>rescan</c>
    /// sysfs once (an agent without that command: the model as it is).
    /// </summary>
    public async Task<ModelReport> ModelSeeingAsync(Hypervisor.HypervisorMemory memory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var model = await RefreshModelAsync(timeout, cancellationToken).ConfigureAwait(false);
        if (GuestDimm.Agrees(model, memory) || !Hello.Capabilities.Contains(CommandNames.Rescan))
        {
            return model;
        }

        _model = await RequestAsync(CommandNames.Rescan, null, ProtocolJsonContext.Default.ModelReport, timeout, cancellationToken).ConfigureAwait(false);
        return _model;
    }

    /// <summary><c>prepare-unplug</c>; <paramref name="force"/> is sent only to an agent that takes it (<see cref="CanForcePrepare"/>).</summary>
    /// <param name="slot">The DIMM's slot.</param>
    /// <param name="force">Past the agent's capacity check.</param>
    /// <param name="timeout">How long the guest may take.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <param name="gone">Completes (with why) when the agent is known to be gone otherwise, e.g. the guest closed its port.</param>
    public Task<OperationReturn> PrepareUnplugAsync(int slot, bool force, TimeSpan timeout, CancellationToken cancellationToken, Task<string>? gone = null)
    {
        var arguments = new JsonObject { ["slot"] = slot };
        if (force && CanForcePrepare)
        {
            arguments["force"] = true;
        }

        return RequestAsync(CommandNames.PrepareUnplug, arguments, ProtocolJsonContext.Default.OperationReturn, timeout, cancellationToken, gone);
    }

    /// <summary>The agent has <c>make-movable</c>.</summary>
    public bool CanMakeMovable => Hello.Capabilities.Contains(CommandNames.MakeMovable);

    /// <summary><c>make-movable</c> (only to an agent that has it, <see cref="CanMakeMovable"/>); arguments as <see cref="PrepareUnplugAsync"/>.</summary>
    public Task<OperationReturn> MakeMovableAsync(int slot, bool force, TimeSpan timeout, CancellationToken cancellationToken, Task<string>? gone = null)
    {
        var arguments = new JsonObject { ["slot"] = slot };
        if (force)
        {
            arguments["force"] = true;
        }

        return RequestAsync(CommandNames.MakeMovable, arguments, ProtocolJsonContext.Default.OperationReturn, timeout, cancellationToken, gone);
    }

    /// <summary>
    /// Asks the agent to push <c>MEMORY_STATUS</c> every <paramref name="interval"/> on this connection (read them from
    /// <see cref="Statuses"/>); only to an agent that can (<see cref="CanReportMemory"/>). Returns the interval granted.
    /// </summary>
    public async Task<TimeSpan> WatchMemoryAsync(TimeSpan interval, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var granted = await RequestAsync(CommandNames.WatchMemory, new JsonObject { ["interval-ms"] = (int)interval.TotalMilliseconds }, ProtocolJsonContext.Default.WatchMemoryReturn, timeout, cancellationToken).ConfigureAwait(false);
        return TimeSpan.FromMilliseconds(granted.IntervalMs);
    }

    public Task<OperationReturn> CancelUnplugAsync(int slot, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync(CommandNames.CancelUnplug, new JsonObject { ["slot"] = slot }, ProtocolJsonContext.Default.OperationReturn, timeout, cancellationToken);

    /// <summary>
    /// One request with a time limit. The agent's error reply throws <see cref="ProtocolErrorException"/>; no answer in
    /// time, the agent stopping or the connection ending throws <see cref="AgentUnavailableException"/>.
    /// </summary>
    private async Task<T> RequestAsync<T>(string command, JsonObject? arguments, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, TimeSpan timeout, CancellationToken cancellationToken, Task<string>? gone = null)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var request = _client.ExecuteAsync(command, arguments, type, limit.Token);
        var first = gone is null
            ? await Task.WhenAny(request, _stopped.Task).ConfigureAwait(false)
            : await Task.WhenAny(request, _stopped.Task, gone).ConfigureAwait(false);
        if (first != request)
        {
            await limit.CancelAsync().ConfigureAwait(false);
            _ = request.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            var why = first == _stopped.Task ? await _stopped.Task.ConfigureAwait(false) : await gone!.ConfigureAwait(false);
            throw new AgentUnavailableException($"the guest agent went away during {command}: {why}");
        }

        try
        {
            return await request.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentUnavailableException($"the guest agent did not answer {command} within {timeout.TotalSeconds:0} s");
        }
        catch (IOException e)
        {
            throw new AgentUnavailableException($"the guest agent's channel closed during {command}: {e.Message}", e);
        }
    }

    private async Task PumpAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (var e in _client.Events.ReadAllAsync().ConfigureAwait(false))
            {
                var name = e["event"]?.GetValue<string>();
                if (name == EventNames.AgentReady)
                {
                    try
                    {
                        var data = e["data"].Deserialize(ProtocolJsonContext.Default.AgentReadyData);
                        if (data is not null)
                        {
                            // Over virtio-serial the host's socket outlives the guest agent: a new agent process
                            // announces itself with AGENT_READY and a smaller uptime. Requests sent to the old one
                            // will never be answered.
                            if (_uptime is { } seen && data.UptimeSeconds < seen)
                            {
                                _stopped.TrySetResult($"the agent restarted (AGENT_READY with uptime {data.UptimeSeconds} s after {seen} s)");
                            }

                            _uptime = data.UptimeSeconds;
                            _model = data.Model;
                            _readyOnce.TrySetResult(data.Model);
                        }
                    }
                    catch (JsonException ex)
                    {
                        // Said at once rather than as a silent agent.
                        _readyOnce.TrySetException(new AgentUnavailableException($"the guest agent's AGENT_READY does not match the protocol (unreadable at {ex.Path ?? "its start"}): is the agent of another version?", ex));
                    }
                }
                else if (name == EventNames.MemoryStatus)
                {
                    _statuses.Offer(e["data"]);
                    continue;
                }
                else if (name == EventNames.AgentStopping)
                {
                    _stopped.TrySetResult("the agent said it is stopping (" + (e["data"]?["reason"]?.GetValue<string>() ?? "no reason") + ")");
                }

                _events.Writer.TryWrite(e);
                Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
        }
        finally
        {
            _stopped.TrySetResult("the connection closed");
            _events.Writer.TryComplete();
            _statuses.Complete();
            Volatile.Read(ref _changed).TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
    }
}
