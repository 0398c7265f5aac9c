namespace GuestAgent.Channels;

/// <summary>
/// Runs one stream's blocking reads on a thread of its own, one read at a time, so that a read waiting for the host
/// (for hours, between requests) never holds a thread-pool thread. A one-vCPU guest's pool starts with one thread; while
/// that thread waited in <c>poll</c>, every other continuation of the agent waited for the pool's starvation injection
/// (about one thread per 0.5 s). Measured on the test guest: the first prepared unplug after the agent started took
/// 2.0 s instead of 0.2 s, the prepare's reply queued behind that injection.
/// </summary>
internal sealed class ReaderThread : IDisposable
{
    private readonly Func<Memory<byte>, CancellationToken, int> _read;
    private readonly object _gate = new();
    private Request? _request;
    private bool _stopping;

    public ReaderThread(string name, Func<Memory<byte>, CancellationToken, int> read)
    {
        _read = read;
        new Thread(Run) { IsBackground = true, Name = name }.Start();
    }

    /// <summary>Reads on the thread; completes with what the read returned or threw. One read at a time.</summary>
    public Task<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stopping)
            {
                done.SetException(new ObjectDisposedException(nameof(ReaderThread)));
                return done.Task;
            }

            if (_request is not null)
            {
                throw new InvalidOperationException("a read is already in progress on this stream");
            }

            _request = new Request(buffer, cancellationToken, done);
            Monitor.Pulse(_gate);
        }

        return done.Task;
    }

    /// <summary>Ends the thread once the read in progress (if any) returns; the stream's disposal wakes that read.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            Request request;
            lock (_gate)
            {
                while (_request is null && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_request is null)
                {
                    return;
                }

                request = _request;
            }

            int read = 0;
            Exception? failure = null;
            try
            {
                read = _read(request.Buffer, request.CancellationToken);
            }
            catch (Exception e)
            {
                failure = e;
            }

            // Free for the next read before the caller hears of this one (its continuation may ask for the next).
            lock (_gate)
            {
                _request = null;
            }

            switch (failure)
            {
                case null:
                    request.Done.SetResult(read);
                    break;
                case OperationCanceledException cancelled:
                    request.Done.SetCanceled(cancelled.CancellationToken);
                    break;
                default:
                    request.Done.SetException(failure);
                    break;
            }
        }
    }

    private sealed record Request(Memory<byte> Buffer, CancellationToken CancellationToken, TaskCompletionSource<int> Done);
}
