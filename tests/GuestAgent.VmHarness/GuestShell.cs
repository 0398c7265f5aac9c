using System.Net.Sockets;
using System.Text;

namespace GuestAgent.VmHarness;

/// <summary>
/// The guest's control channel (its second serial port, served by the test init): each request is one line of base64
/// (a shell command run as root in the guest), each answer one line <c>RC code base64-output</c>. This reads what the
/// guest kernel says without going through the agent.
/// </summary>
public sealed class GuestShell : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _one = new(1, 1);

    private GuestShell(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.ASCII);
    }

    public static async Task<GuestShell> ConnectAsync(string socketPath, TimeSpan bootLimit, Func<string> consoleLog)
    {
        var socket = await TestSupport.UnixSocketConnector.ConnectAsync(socketPath);
        var shell = new GuestShell(socket);
        using var limit = new CancellationTokenSource(bootLimit);
        try
        {
            while (true)
            {
                var line = await shell._reader.ReadLineAsync(limit.Token) ?? throw new IOException("control channel closed during boot");
                if (line.EndsWith("READY", StringComparison.Ordinal))
                {
                    return shell;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the guest did not boot in {bootLimit.TotalSeconds} s; console:\n{consoleLog()}");
        }
    }

    /// <summary>
    /// Connects to a control shell that already said READY elsewhere (a guest brought here by a live migration: its
    /// serial port now ends at this socket) and checks that it answers. A destination's QEMU once closed the first
    /// connection made right after the migration without an answer (one CI run in many): up to three connections, a
    /// second apart, each asked again (an answer to a request cut in half does not count).
    /// </summary>
    public static async Task<GuestShell> AttachAsync(string socketPath)
    {
        var said = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var socket = await TestSupport.UnixSocketConnector.ConnectAsync(socketPath);
            var shell = new GuestShell(socket);
            try
            {
                var (code, output) = await shell.RunAsync("echo attached", TimeSpan.FromSeconds(60));
                if (code == 0 && output.Trim() == "attached")
                {
                    return shell;
                }

                said.Add($"exit {code}: {output.Trim()}");
            }
            catch (IOException e)
            {
                said.Add(e.Message);
            }

            await shell.DisposeAsync();
            if (attempt == 3)
            {
                throw new IOException($"the control shell at {socketPath} does not answer as it should: {string.Join("; ", said)}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>After the guest was reset: waits for the new boot's control shell to say READY.</summary>
    public async Task WaitForReadyAsync(TimeSpan bootLimit)
    {
        await _one.WaitAsync();
        try
        {
            using var limit = new CancellationTokenSource(bootLimit);
            while ((await _reader.ReadLineAsync(limit.Token) ?? throw new IOException("control channel closed during the reboot")) is var line && !line.EndsWith("READY", StringComparison.Ordinal))
            {
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Runs a command in the guest; returns its exit code and combined output.</summary>
    public async Task<(int Code, string Output)> RunAsync(string command, TimeSpan? limit = null)
    {
        await _one.WaitAsync();
        try
        {
            var request = Convert.ToBase64String(Encoding.UTF8.GetBytes(command)) + "\n";
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(3));
            while (true)
            {
                var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("control channel closed");
                if (!line.StartsWith("RC ", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = line.Split(' ', 3);
                var output = parts.Length > 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[2])) : "";
                return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), output);
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>Runs a command that must succeed; returns its output.</summary>
    public async Task<string> CheckAsync(string command, TimeSpan? limit = null)
    {
        var (code, output) = await RunAsync(command, limit);
        return code == 0 ? output : throw new InvalidOperationException($"guest command failed ({code}): {command}\n{output}");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
