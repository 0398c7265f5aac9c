namespace GuestAgent.Hosting;

/// <summary>Tells systemd how the service is doing (sd_notify); does nothing outside systemd.</summary>
public interface ISystemdNotifier
{
    /// <summary>Whether there is a notification socket to talk to.</summary>
    bool IsEnabled { get; }

    void Notify(ServiceState state);
}
