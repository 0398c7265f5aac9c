using Mono.Unix.Native;

namespace GuestAgent.Channels;

/// <summary>
/// The open virtio-serial port (non-blocking) as a stream for one host connection. Reads wait in <c>poll</c> on a
/// thread of the stream's own (<see cref="ReaderThread"/>, never a pool thread) and end with end-of-stream when the
/// host disconnects (POLLHUP). Writes go out at once when the port takes them (the usual case, no thread hop); a full
/// port waits for POLLOUT on a pool thread, and a host that is gone fails the write. A pipe wakes the poll when a read
/// or write is cancelled. The port stays open when the stream is disposed unless it owns it: the listener keeps one
/// handle for the agent's life.
/// </summary>
public sealed unsafe class VirtioPortStream : Stream
{
    private readonly int _fd;
    private readonly bool _ownsPort;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private readonly Lock _closing = new();
    private readonly ReaderThread _reader;
    private int _disposed;
    private int _users;

    public VirtioPortStream(int fd, bool ownsPort)
    {
        _fd = fd;
        _ownsPort = ownsPort;
        if (Syscall.pipe(out _wakeRead, out _wakeWrite) != 0)
        {
            throw new IOException($"pipe: {Stdlib.GetLastError()}");
        }

        SetNonBlocking(_wakeRead);
        SetNonBlocking(_wakeWrite);
        _reader = new ReaderThread("virtio-serial reader", Read);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(_reader.ReadAsync(buffer, cancellationToken));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int written;
        try
        {
            using var use = Use();
            written = WriteWithoutWaiting(buffer);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return ValueTask.FromException(e);
        }

        return written == buffer.Length
            ? ValueTask.CompletedTask
            : new(Task.Run(() => Write(buffer[written..], cancellationToken), CancellationToken.None));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsMemory(offset, count), CancellationToken.None);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsMemory(offset, count), CancellationToken.None);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Wakes whatever waits and ends the reader thread. The descriptors are closed by the last operation still using
    /// them (or here, when none is): a descriptor closed under a waiting <c>poll</c> could be reused by another file
    /// of the agent, and the wait would then read that file's data.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        lock (_closing)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                byte one = 1;
                _ = Syscall.write(_wakeWrite, &one, 1);
                if (_users == 0)
                {
                    CloseDescriptors();
                }

                _reader.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Marks an operation that uses the descriptors until the returned use is disposed; throws once the stream is disposed.</summary>
    private DescriptorUse Use()
    {
        lock (_closing)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            _users++;
        }

        return new DescriptorUse(this);
    }

    private void Exit()
    {
        lock (_closing)
        {
            if (--_users == 0 && Volatile.Read(ref _disposed) != 0)
            {
                CloseDescriptors();
            }
        }
    }

    private void CloseDescriptors()
    {
        if (_ownsPort)
        {
            _ = Syscall.close(_fd);
        }

        _ = Syscall.close(_wakeRead);
        _ = Syscall.close(_wakeWrite);
    }

    private int Read(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var use = Use();
        using var wake = cancellationToken.Register(Wake);
        using var pin = buffer.Pin();
        while (true)
        {
            var events = WaitFor(PollEvents.POLLIN, cancellationToken);
            if ((events & PollEvents.POLLIN) == 0 && (events & (PollEvents.POLLHUP | PollEvents.POLLERR)) != 0)
            {
                return 0; // the host disconnected
            }

            var n = Syscall.read(_fd, pin.Pointer, (ulong)buffer.Length);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Stdlib.GetLastError();
            if (errno is not (Errno.EAGAIN or Errno.EINTR))
            {
                throw new IOException($"reading the virtio-serial port: {errno}");
            }
        }
    }

    private void Write(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        using var use = Use();
        using var wake = cancellationToken.Register(Wake);
        var written = WriteWithoutWaiting(buffer);
        while (written < buffer.Length)
        {
            var events = WaitFor(PollEvents.POLLOUT, cancellationToken);
            if ((events & PollEvents.POLLOUT) == 0 && (events & (PollEvents.POLLHUP | PollEvents.POLLERR)) != 0)
            {
                throw new IOException("the host disconnected");
            }

            written += WriteWithoutWaiting(buffer[written..]);
        }
    }

    /// <summary>Writes what the port takes now; the count written (less than asked when the port is full).</summary>
    private int WriteWithoutWaiting(ReadOnlyMemory<byte> buffer)
    {
        using var pin = buffer.Pin();
        var written = 0;
        while (written < buffer.Length)
        {
            var n = Syscall.write(_fd, (byte*)pin.Pointer + written, (ulong)(buffer.Length - written));
            if (n >= 0)
            {
                written += (int)n;
                continue;
            }

            var errno = Stdlib.GetLastError();
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (errno == Errno.EAGAIN)
            {
                break;
            }

            throw new IOException($"writing the virtio-serial port: {errno}");
        }

        return written;
    }

    private PollEvents WaitFor(PollEvents wanted, CancellationToken cancellationToken)
    {
        var fds = new Pollfd[] { new() { fd = _fd, events = wanted }, new() { fd = _wakeRead, events = PollEvents.POLLIN } };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var ready = Syscall.poll(fds, -1);
            if (ready < 0)
            {
                var errno = Stdlib.GetLastError();
                if (errno == Errno.EINTR)
                {
                    continue;
                }

                throw new IOException($"poll on the virtio-serial port: {errno}");
            }

            if ((fds[1].revents & PollEvents.POLLIN) != 0)
            {
                DrainWake();
                continue; // cancellation or disposal: checked at the top
            }

            return fds[0].revents;
        }
    }

    /// <summary>Wakes a waiting poll; never touches the descriptors once they are closed (they could be reused).</summary>
    private void Wake()
    {
        lock (_closing)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                byte one = 1;
                _ = Syscall.write(_wakeWrite, &one, 1);
            }
        }
    }

    private void DrainWake()
    {
        var buffer = stackalloc byte[64];
        while (Syscall.read(_wakeRead, buffer, 64) > 0)
        {
        }
    }

    private static void SetNonBlocking(int fd)
    {
        var flags = Syscall.fcntl(fd, FcntlCommand.F_GETFL);
        _ = Syscall.fcntl(fd, FcntlCommand.F_SETFL, flags | (int)OpenFlags.O_NONBLOCK);
    }

    /// <summary>One operation's use of the descriptors (<see cref="Use"/>); disposing ends it.</summary>
    private readonly struct DescriptorUse(VirtioPortStream stream) : IDisposable
    {
        public void Dispose() => stream.Exit();
    }
}
