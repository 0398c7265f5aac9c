using System.Text;
using GuestAgent.Channels;
using Mono.Unix.Native;

namespace GuestAgent.Tests.Channels;

/// <summary>
/// <see cref="VirtioPortStream"/> over one end of a socket pair standing in for the port (non-blocking, poll, POLLHUP
/// when the other end, the "host", goes: what the port does, as measured in the VM tests): reads, writes, end of
/// stream, cancellation and disposal, and reads that wait on a thread of the stream's own.
/// </summary>
public sealed class VirtioPortStreamTests : IDisposable
{
    private readonly int _port;
    private int _host;

    public VirtioPortStreamTests()
    {
        Assert.Equal(0, Syscall.socketpair(UnixAddressFamily.AF_UNIX, UnixSocketType.SOCK_STREAM, 0, out _port, out _host));
        var flags = Syscall.fcntl(_port, FcntlCommand.F_GETFL);
        Assert.Equal(0, Syscall.fcntl(_port, FcntlCommand.F_SETFL, flags | (int)OpenFlags.O_NONBLOCK));
    }

    [Fact]
    public async Task AReadWaitsForTheHostAndReturnsWhatItWrote()
    {
        await using var stream = new VirtioPortStream(_port, ownsPort: false);
        var buffer = new byte[64];
        var read = stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
        Assert.False(read.IsCompleted);

        HostWrites("hello\n");
        var n = await read;
        Assert.Equal("hello\n", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task ReadsFollowOneAnotherAndEndWhenTheHostLeaves()
    {
        await using var stream = new VirtioPortStream(_port, ownsPort: false);
        var buffer = new byte[64];
        for (var i = 0; i < 50; i++)
        {
            var read = stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
            HostWrites($"{i}\n");
            Assert.Equal($"{i}\n", Encoding.ASCII.GetString(buffer, 0, await read));
        }

        var last = stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
        HostLeaves();
        Assert.Equal(0, await last);
    }

    [Fact]
    public async Task AWaitingReadEndsOnCancellation()
    {
        await using var stream = new VirtioPortStream(_port, ownsPort: false);
        using var cancel = new CancellationTokenSource();
        var read = stream.ReadAsync(new byte[64], cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        // The stream still reads afterwards.
        var buffer = new byte[64];
        var next = stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask();
        HostWrites("after\n");
        Assert.Equal("after\n", Encoding.ASCII.GetString(buffer, 0, await next));
    }

    [Fact]
    public async Task DisposingTheStreamEndsAWaitingReadAndLaterOnes()
    {
        var stream = new VirtioPortStream(_port, ownsPort: false);
        var read = stream.ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask();
        await stream.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WriteAsync(new byte[1], TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task WritesReachTheHostAndAFullPortWaitsUntilTheHostReads()
    {
        await using var stream = new VirtioPortStream(_port, ownsPort: false);
        await stream.WriteAsync("small\n"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal("small\n", HostReads(6));

        // More than the socket holds: the write waits until the host has read enough.
        var big = new byte[4 << 20];
        Array.Fill(big, (byte)'x');
        var write = stream.WriteAsync(big, TestContext.Current.CancellationToken).AsTask();
        Assert.False(write.IsCompleted);
        var total = 0;
        while (total < big.Length)
        {
            total += HostReads(65536).Length;
        }

        await write;
        Assert.Equal(big.Length, total);
    }

    [Fact]
    public async Task AWriteToAHostThatLeftFails()
    {
        await using var stream = new VirtioPortStream(_port, ownsPort: false);
        HostLeaves();
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[4 << 20], TestContext.Current.CancellationToken).AsTask());
    }

    private void HostWrites(string text)
    {
        using var host = new Mono.Unix.UnixStream(_host, ownsHandle: false);
        host.Write(Encoding.ASCII.GetBytes(text));
    }

    private string HostReads(int most)
    {
        using var host = new Mono.Unix.UnixStream(_host, ownsHandle: false);
        var buffer = new byte[most];
        var n = host.Read(buffer, 0, most);
        Assert.True(n > 0, $"the host read returned {n}");
        return Encoding.ASCII.GetString(buffer, 0, n);
    }

    /// <summary>Closes the host's end once (a second close could close another test's descriptor that took its number).</summary>
    private void HostLeaves()
    {
        Assert.Equal(0, Syscall.close(_host));
        _host = -1;
    }

    public void Dispose()
    {
        _ = Syscall.close(_port);
        if (_host >= 0)
        {
            HostLeaves();
        }
    }
}
