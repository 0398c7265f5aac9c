using GuestAgent.Channels;
using Microsoft.Extensions.Hosting;

namespace GuestAgent.Hosting;

/// <summary>
/// Holds the host's start until the first scan is done and the channels are served, so that systemd's READY=1 (sent
/// by <c>SystemdLifetime</c> when the host has started) means the agent is really serving. Registered after the
/// services it waits for.
/// </summary>
public sealed class ServingGate(ChannelService channels) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => channels.Serving.WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
