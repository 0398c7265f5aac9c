using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Mono.Unix.Native;

namespace GuestAgent.Channels;

/// <summary>A unix stream socket with the agent's protocol: the local control socket, or a development socket.</summary>
public sealed class UnixSocketListener : IChannelListener
{
    private readonly Socket _socket;
    private readonly string _path;
    private int _connections;

    private UnixSocketListener(Socket socket, string path, string name)
    {
        _socket = socket;
        _path = path;
        Name = name;
    }

    public string Name { get; }

    public int MaxConcurrentConnections => 16;

    /// <summary>Binds <paramref name="path"/> (replacing a stale socket, never another kind of file) with <paramref name="mode"/> permissions.</summary>
    public static UnixSocketListener Bind(string path, int mode, string name)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Syscall.lstat(path, out var stat) == 0)
        {
            if ((stat.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFSOCK)
            {
                throw new IOException($"{path} exists and is not a socket; not replacing it");
            }

            File.Delete(path);
        }

        // Bound and listening under a temporary name, then renamed into place: a client never finds the path before
        // it accepts connections, and never with looser permissions than asked.
        var temporary = path + ".new";
        File.Delete(temporary);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var oldMask = Syscall.umask(FilePermissions.S_IRWXG | FilePermissions.S_IRWXO);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
        }
        finally
        {
            Syscall.umask(oldMask);
        }

        if (Syscall.chmod(temporary, (FilePermissions)mode) != 0)
        {
            socket.Dispose();
            throw new IOException($"cannot set the permissions of {temporary}: {Stdlib.GetLastError()}");
        }

        socket.Listen(16);
        File.Move(temporary, path, overwrite: true);
        return new UnixSocketListener(socket, path, name);
    }

    public async IAsyncEnumerable<ChannelConnection> AcceptAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            var number = Interlocked.Increment(ref _connections);
            yield return new ChannelConnection(new NetworkStream(client, ownsSocket: true), $"{Name} client {number}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // Already gone.
        }

        return ValueTask.CompletedTask;
    }
}
