using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Reporting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Mono.Unix.Native;

namespace GuestAgent.DBus;

/// <summary>
/// Serves <c>org.guestagent.Memory1</c> on the system bus through libsystemd's sd-bus, on a thread of its own (sd-bus
/// is single-threaded): poll on the bus and a wake-up pipe, answer calls, run the replies of finished methods, and
/// emit the signals the model's changes call for. No bus, or the name refused: the agent runs on without it and says
/// so once.
/// </summary>
public sealed class DBusService(
    DBusOptions options,
    MemoryAgent agent,
    MemoryAgentOptions memory,
    ChannelService channels,
    CommandDispatcher dispatcher,
    ILogger<DBusService> logger) : BackgroundService
{
    private readonly ConcurrentQueue<Action> _posted = new();
    private int _wakeWrite = -1;
    private volatile bool _changed = true;

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

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(stoppingToken);
            }
            catch (Exception e)
            {
                logger.LogError(e, "D-Bus interface failed; the agent runs on without it");
            }
            finally
            {
                done.TrySetResult();
            }
        })
        { IsBackground = true, Name = "D-Bus" };
        thread.Start();
        await done.Task.ConfigureAwait(false);
    }

    private BusState CurrentState() => new(ModelReportBuilder.Build(agent.View, memory.SysfsRoot), channels.AnyPeerConnected);

    private unsafe void Run(CancellationToken stoppingToken)
    {
        var bus = Open(out var problem);
        if (bus == 0)
        {
            logger.LogWarning("D-Bus: no bus ({Problem}); running without the D-Bus interface", problem);
            return;
        }

        var pipe = new int[2];
        nint slot = 0;
        var handle = default(GCHandle);
        try
        {
            if (Syscall.pipe(pipe) < 0)
            {
                logger.LogWarning("D-Bus: cannot make a wake-up pipe ({Errno}); running without the D-Bus interface", Stdlib.GetLastError());
                return;
            }

            Syscall.fcntl(pipe[0], FcntlCommand.F_SETFL, (int)OpenFlags.O_NONBLOCK);
            Syscall.fcntl(pipe[1], FcntlCommand.F_SETFL, (int)OpenFlags.O_NONBLOCK);
            _wakeWrite = pipe[1];
            var busObject = new MemoryBusObject(CurrentState, dispatcher, Post, logger, stoppingToken);
            handle = GCHandle.Alloc(busObject);
            BusMessage.Check(SdBusNative.sd_bus_add_object(bus, out slot, MemoryBusInterface.ObjectPath, &OnMessage, GCHandle.ToIntPtr(handle)), "sd_bus_add_object");
            var requested = SdBusNative.sd_bus_request_name(bus, MemoryBusInterface.BusName, 0);
            if (requested < 0)
            {
                logger.LogWarning("D-Bus: cannot own {Name} ({Error}); running without the D-Bus interface", MemoryBusInterface.BusName, new DBusException("RequestName", requested).Message);
                return;
            }

            logger.LogInformation("D-Bus: serving {Name} at {Path}", MemoryBusInterface.BusName, MemoryBusInterface.ObjectPath);
            agent.Changed += OnAgentChanged;
            channels.PeersChanged += MarkChanged;
            using var stopping = stoppingToken.Register(Wake);
            Loop(bus, pipe[0], stoppingToken);
        }
        finally
        {
            agent.Changed -= OnAgentChanged;
            channels.PeersChanged -= MarkChanged;
            _wakeWrite = -1;
            if (slot != 0)
            {
                SdBusNative.sd_bus_slot_unref(slot);
            }

            SdBusNative.sd_bus_flush_close_unref(bus);
            if (handle.IsAllocated)
            {
                handle.Free();
            }

            if (pipe[0] > 0)
            {
                Syscall.close(pipe[0]);
                Syscall.close(pipe[1]);
            }
        }
    }

    private void Loop(nint bus, int wakeRead, CancellationToken stoppingToken)
    {
        BusState? shown = null;
        var drain = new byte[64];
        var fds = new Pollfd[2];
        while (!stoppingToken.IsCancellationRequested)
        {
            int processed;
            do
            {
                processed = SdBusNative.sd_bus_process(bus, 0);
            }
            while (processed > 0);

            if (processed < 0)
            {
                logger.LogWarning("D-Bus: the connection failed ({Error}); running without the D-Bus interface", new DBusException("sd_bus_process", processed).Message);
                return;
            }

            while (_posted.TryDequeue(out var action))
            {
                action();
            }

            if (_changed)
            {
                _changed = false;
                var now = CurrentState();
                foreach (var signal in BusStateDiff.Compute(shown, now))
                {
                    Emit(bus, signal, now);
                }

                shown = now;
            }

            SdBusNative.sd_bus_flush(bus);
            fds[0] = new Pollfd { fd = SdBusNative.sd_bus_get_fd(bus), events = (PollEvents)SdBusNative.sd_bus_get_events(bus) };
            fds[1] = new Pollfd { fd = wakeRead, events = PollEvents.POLLIN };
            Syscall.poll(fds, 2, Timeout(bus));
            DrainWakeups(wakeRead, drain);
        }
    }

    private static unsafe void DrainWakeups(int fd, byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            while (Syscall.read(fd, p, (ulong)buffer.Length) > 0)
            {
                // Woken: the queue and the flag say why.
            }
        }
    }

    /// <summary>Milliseconds until sd-bus's next deadline (it reports an absolute CLOCK_MONOTONIC time); -1: none.</summary>
    private static int Timeout(nint bus)
    {
        if (SdBusNative.sd_bus_get_timeout(bus, out var usec) < 0 || usec == ulong.MaxValue)
        {
            return -1;
        }

        var nowUsec = (ulong)(Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000));
        return usec <= nowUsec ? 0 : (int)Math.Min(int.MaxValue, (usec - nowUsec + 999) / 1000);
    }

    private unsafe void Emit(nint bus, BusSignal signal, BusState state)
    {
        var iface = signal.Member == "PropertiesChanged" ? MemoryBusInterface.PropertiesInterface : MemoryBusInterface.InterfaceName;
        if (SdBusNative.sd_bus_message_new_signal(bus, out var message, MemoryBusInterface.ObjectPath, iface, signal.Member) < 0)
        {
            return;
        }

        try
        {
            if (signal.Member == "PropertiesChanged")
            {
                BusMessage.String(message, MemoryBusInterface.InterfaceName);
                MemoryBusObject.WriteProperties(message, signal.Arguments, state);
                BusMessage.Strings(message, []);
            }
            else
            {
                foreach (var argument in signal.Arguments)
                {
                    BusMessage.String(message, argument);
                }

                if (signal.Zones is not null)
                {
                    BusMessage.Strings(message, signal.Zones);
                }
            }

            BusMessage.Check(SdBusNative.sd_bus_send(bus, message, 0), "send signal");
        }
        catch (DBusException e)
        {
            logger.LogWarning("D-Bus: signal {Signal}: {Error}", signal.Member, e.Message);
        }
        finally
        {
            SdBusNative.sd_bus_message_unref(message);
        }
    }

    private nint Open(out string problem)
    {
        problem = "";
        nint bus;
        int result;
        if (options.Address.Length == 0)
        {
            result = SdBusNative.sd_bus_open_system(out bus);
        }
        else
        {
            result = SdBusNative.sd_bus_new(out bus);
            if (result >= 0)
            {
                SdBusNative.sd_bus_set_address(bus, options.Address);
                SdBusNative.sd_bus_set_bus_client(bus, 1);
                result = SdBusNative.sd_bus_start(bus);
            }
        }

        if (result >= 0)
        {
            return bus;
        }

        if (bus != 0)
        {
            SdBusNative.sd_bus_flush_close_unref(bus);
        }

        problem = new DBusException("connecting to the bus", result).Message;
        return 0;
    }

    private void OnAgentChanged(AgentEvent e) => MarkChanged();

    /// <summary>The model or the peers changed: the bus thread recomputes what it shows and emits the differences.</summary>
    private void MarkChanged()
    {
        _changed = true;
        Wake();
    }

    private void Post(Action action)
    {
        _posted.Enqueue(action);
        Wake();
    }

    private unsafe void Wake()
    {
        var fd = _wakeWrite;
        if (fd >= 0)
        {
            byte one = 1;
            Syscall.write(fd, &one, 1);
        }
    }

    [UnmanagedCallersOnly]
    private static int OnMessage(nint message, nint userdata, nint error)
    {
        try
        {
            return GCHandle.FromIntPtr(userdata).Target is MemoryBusObject busObject ? busObject.Handle(message) : 0;
        }
        catch (Exception)
        {
            return -5; // -EIO: sd-bus answers with an error; the agent runs on.
        }
    }
}
