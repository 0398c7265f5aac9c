using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GuestAgent.Memory.Sysfs;
using Microsoft.Extensions.Logging;
using Mono.Unix.Native;

namespace GuestAgent.Channels;

/// <summary>
/// The host channel: the virtio-serial port named in the options. Facts it is built on (measured here): only one open
/// at a time; with no host connected a read returns EOF at once and a write blocks; a reader gets EOF when the host
/// leaves. So it opens the port once, non-blocking with O_ASYNC, and keeps that one handle for the agent's life
/// (closing and reopening between hosts lost host connections that arrived in that window). While no host is
/// connected (poll says POLLHUP) it sleeps until the kernel's SIGIO says the host side changed, or, as a safety net,
/// the host wait interval passes: no spinning. Each time the host is there it yields one connection.
/// </summary>
public sealed class VirtioSerialListener(SysfsRoot sysfs, ChannelOptions options, ILogger logger) : IChannelListener
{
    private const int SigIo = 29;

    private readonly SemaphoreSlim _hostChanged = new(0, 1);
    private PosixSignalRegistration? _sigio;
    private int _fd = -1;

    public string Name => "virtio-serial " + options.VirtioPortName;

    public int MaxConcurrentConnections => 1;

    public async IAsyncEnumerable<ChannelConnection> AcceptAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _sigio ??= PosixSignalRegistration.Create((PosixSignal)SigIo, OnSigio);
        var connections = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_fd < 0 && !await OpenAsync(cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }

            var host = await WaitForHostAsync(cancellationToken).ConfigureAwait(false);
            if (host is null)
            {
                yield break;
            }

            if (host == false)
            {
                continue; // the port went away; opened again above
            }

            connections++;
            yield return new ChannelConnection(new VirtioPortStream(_fd, ownsPort: false), $"host on {options.VirtioPortName} (connection {connections})");
        }
    }

    /// <summary>Opens the port (waiting while it does not exist); false when cancelled.</summary>
    private async Task<bool> OpenAsync(CancellationToken cancellationToken)
    {
        var said = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var device = VirtioPortLocator.Find(sysfs, options.DevDirectory, options.VirtioPortName);
            var fd = device is null ? -1 : Syscall.open(device, OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
            if (fd >= 0)
            {
                _ = Syscall.fcntl(fd, FcntlCommand.F_SETOWN, Syscall.getpid());
                var flags = Syscall.fcntl(fd, FcntlCommand.F_GETFL);
                _ = Syscall.fcntl(fd, FcntlCommand.F_SETFL, flags | (int)OpenFlags.O_ASYNC);
                _fd = fd;
                logger.LogInformation("Opened the virtio-serial port {Port} ({Device})", options.VirtioPortName, device);
                return true;
            }

            if (!said)
            {
                // A VM defined without the port is a normal setup (onlining needs no host): said as information. A port
                // that is there but cannot be opened is a fault: a warning.
                logger.Log(
                    device is null ? LogLevel.Information : LogLevel.Warning,
                    "No usable virtio-serial port named {Port} ({Reason}); onlining goes on, looking again every {Interval}",
                    options.VirtioPortName,
                    device is null ? "not found under " + Path.Combine(sysfs.Path, "class", "virtio-ports") : $"{device}: {Stdlib.GetLastError()}",
                    options.HostWaitInterval);
                said = true;
            }

            if (!await WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>True once the host is connected; false if the port is gone (closed, to be opened again); null when cancelled.</summary>
    private async Task<bool?> WaitForHostAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var fds = new Pollfd[] { new() { fd = _fd, events = PollEvents.POLLIN | PollEvents.POLLOUT } };
            if (Syscall.poll(fds, 0) > 0)
            {
                if ((fds[0].revents & PollEvents.POLLNVAL) != 0 || (fds[0].revents & PollEvents.POLLERR) != 0)
                {
                    logger.LogWarning("The virtio-serial port {Port} went away; opening it again", options.VirtioPortName);
                    _ = Syscall.close(_fd);
                    _fd = -1;
                    return false;
                }

                if ((fds[0].revents & PollEvents.POLLHUP) == 0)
                {
                    return true;
                }
            }

            if (!await WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }

        return null;
    }

    private async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _hostChanged.WaitAsync(options.HostWaitInterval, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_fd >= 0)
        {
            _ = Syscall.close(_fd);
            _fd = -1;
        }

        _sigio?.Dispose();
        _hostChanged.Dispose();
        return ValueTask.CompletedTask;
    }

    private void OnSigio(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            _hostChanged.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
    }
}
