using System.IO.Pipes;
using System.Text;

namespace GuestAgent.Protocol.Tests.Support;

/// <summary>A pipe pair for a client under test: what it writes is read from <see cref="Sent"/>; what <see cref="SendAsync"/> writes it reads.</summary>
public sealed class PipeLink : IAsyncDisposable
{
    private readonly AnonymousPipeServerStream _toClient = new(PipeDirection.Out);
    private readonly AnonymousPipeServerStream _fromClient = new(PipeDirection.In);

    public PipeLink()
    {
        ClientSide = new DuplexStream(new AnonymousPipeClientStream(PipeDirection.In, _toClient.ClientSafePipeHandle), new AnonymousPipeClientStream(PipeDirection.Out, _fromClient.ClientSafePipeHandle));
        Sent = new StreamReader(_fromClient, Encoding.UTF8);
    }

    public Stream ClientSide { get; }

    public StreamReader Sent { get; }

    public async Task SendAsync(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        await _toClient.WriteAsync(bytes);
        await _toClient.FlushAsync();
    }

    public void CloseToClient() => _toClient.Dispose();

    public ValueTask DisposeAsync()
    {
        _toClient.Dispose();
        _fromClient.Dispose();
        ClientSide.Dispose();
        return ValueTask.CompletedTask;
    }
}
