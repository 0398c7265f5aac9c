using GuestAgent.Channels;

namespace GuestAgent.Tests.Channels;

/// <summary><see cref="ReaderThread"/>: blocking reads off the thread pool, one at a time, their outcome passed on.</summary>
public sealed class ReaderThreadTests
{
    [Fact]
    public async Task ReadsRunOnItsOwnThreadNeverOnAPoolThread()
    {
        var onPool = new List<bool>();
        using var reader = new ReaderThread("test reader", (buffer, _) =>
        {
            onPool.Add(Thread.CurrentThread.IsThreadPoolThread);
            buffer.Span[0] = 7;
            return 1;
        });
        var buffer = new byte[1];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, await reader.ReadAsync(buffer, TestContext.Current.CancellationToken));
        }

        Assert.Equal([false, false, false], onPool);
        Assert.Equal(7, buffer[0]);
    }

    [Fact]
    public async Task WhatTheReadThrowsReachesTheCaller()
    {
        using var reader = new ReaderThread("test reader", (_, token) =>
        {
            token.ThrowIfCancellationRequested();
            throw new IOException("the port broke");
        });
        var e = await Assert.ThrowsAsync<IOException>(() => reader.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
        Assert.Equal("the port broke", e.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadAsync(new byte[1], new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task OneReadAtATimeAndNoneOnceDisposed()
    {
        using var release = new ManualResetEventSlim();
        var reader = new ReaderThread("test reader", (_, _) =>
        {
            release.Wait();
            return 0;
        });
        var first = reader.ReadAsync(new byte[1], TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<InvalidOperationException>(() => reader.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
        reader.Dispose();
        release.Set();
        Assert.Equal(0, await first); // the read in progress still completes
        await Assert.ThrowsAsync<ObjectDisposedException>(() => reader.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
    }
}
