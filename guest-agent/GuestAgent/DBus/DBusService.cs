using GuestAgent.Channels;
using GuestAgent.Commands;
using GuestAgent.Memory.Agent;
using GuestAgent.Reporting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tmds.DBus.Protocol;

namespace GuestAgent.DBus;

/// <summary>
/// Serves <c>org.guestagent.Memory1</c> on the system bus (Tmds.DBus.Protocol): owns the name, serves the object, and
/// emits the signals the model's changes call for. No bus, or the name refused: the agent runs on without it and says
/// so once.
/// </summary>
public sealed class DBusService(
    DBusOptions options,
    MemoryAgent agent,
    MemoryAgentOptions memory,
    ChannelService channels,
    AgentCommandService commands,
    ILogger<DBusService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _changed = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        try
        {
            await agent.ModelReady.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var address = options.Address.Length > 0 ? options.Address : DBusAddress.System;
        using var connection = new DBusConnection(new DBusConnectionOptions(address) { AutoConnect = false });
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
            connection.AddMethodHandler(new MemoryBusObject(CurrentState, commands, logger, stoppingToken));
            await connection.RequestNameAsync(MemoryBusInterface.BusName, RequestNameOptions.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DBusExceptionBase or IOException or System.Net.Sockets.SocketException)
        {
            logger.LogWarning("D-Bus: no bus at {Address} ({Problem}); running without the D-Bus interface", address, DBusAddress.Describe(address, e));
            return;
        }

        logger.LogInformation("D-Bus: serving {Name} at {Path}", MemoryBusInterface.BusName, MemoryBusInterface.ObjectPath);
        agent.Changed += OnAgentChanged;
        channels.PeersChanged += MarkChanged;
        try
        {
            var disconnected = connection.DisconnectedAsync();
            BusState? shown = CurrentState();
            while (!stoppingToken.IsCancellationRequested)
            {
                var changed = _changed.WaitAsync(stoppingToken);
                if (await Task.WhenAny(changed, disconnected).ConfigureAwait(false) == disconnected)
                {
                    logger.LogWarning("D-Bus: the connection ended ({Problem}); running without the D-Bus interface", (await disconnected.ConfigureAwait(false))?.Message ?? "closed");
                    return;
                }

                await changed.ConfigureAwait(false);
                var now = CurrentState();
                foreach (var signal in BusStateDiff.Compute(shown, now))
                {
                    Emit(connection, signal, now);
                }

                shown = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            agent.Changed -= OnAgentChanged;
            channels.PeersChanged -= MarkChanged;
        }
    }

    private BusState CurrentState() => new(ModelReportBuilder.Build(agent.View, memory.SysfsRoot), channels.AnyPeerConnected);

    private void Emit(DBusConnection connection, BusSignal signal, BusState state)
    {
        var properties = signal.Member == "PropertiesChanged";
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteSignalHeader(
                null,
                MemoryBusInterface.ObjectPath,
                properties ? MemoryBusInterface.PropertiesInterface : MemoryBusInterface.InterfaceName,
                signal.Member,
                properties ? "sa{sv}as" : signal.Zones is null ? new string('s', signal.Arguments.Count) : new string('s', signal.Arguments.Count) + "as");
            if (properties)
            {
                writer.WriteString(MemoryBusInterface.InterfaceName);
                BusProperties.WriteDictionary(ref writer, signal.Arguments, state);
                writer.WriteArray(Array.Empty<string>());
            }
            else
            {
                foreach (var argument in signal.Arguments)
                {
                    writer.WriteString(argument);
                }

                if (signal.Zones is not null)
                {
                    writer.WriteArray(signal.Zones);
                }
            }

            if (!connection.TrySendMessage(writer.CreateMessage()))
            {
                logger.LogDebug("D-Bus: signal {Signal} not sent (the connection is closing)", signal.Member);
            }
        }
        finally
        {
            writer.Dispose();
        }
    }

    private void OnAgentChanged(AgentEvent e) => MarkChanged();

    /// <summary>The model or the peers changed: the loop recomputes what it shows and emits the differences.</summary>
    private void MarkChanged()
    {
        try
        {
            _changed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already marked.
        }
    }
}
