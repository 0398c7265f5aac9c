using System.CommandLine;
using System.Net.Sockets;
using GuestAgent.Channels;
using GuestAgent.Memory.Agent;
using GuestAgent.Protocol.Client;

namespace GuestAgent.Cli;

/// <summary>How the admin commands reach the running agent: its control socket.</summary>
public static class ControlSocketClient
{
    public static string DefaultPath { get; } = Path.Combine(new MemoryAgentOptions().RuntimeDirectory, ChannelOptions.ControlSocketFileName);

    public static Option<string> SocketOption() => new("--socket")
    {
        Description = "The agent's control socket",
        DefaultValueFactory = _ => DefaultPath,
    };

    public static async Task<ProtocolClient> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot reach the agent at {path}: {e.Message} (is guest-agent running? are you root?)", e);
        }

        return new ProtocolClient(new NetworkStream(socket, ownsSocket: true));
    }

    /// <summary>Runs <paramref name="body"/> with a connected client; connection and protocol errors become a message and exit code 1.</summary>
    public static async Task<int> RunAsync(string path, Func<ProtocolClient, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await ConnectAsync(path, cancellationToken).ConfigureAwait(false);
            return await body(client).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync("guest-agent: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (ProtocolErrorException e)
        {
            await Console.Error.WriteLineAsync("guest-agent: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }
}
