namespace GuestAgent.Hosting;

/// <summary>One sd_notify state line (<c>READY=1</c>, <c>STATUS=…</c>, …).</summary>
public readonly record struct ServiceState(string Text)
{
    public static ServiceState Ready { get; } = new("READY=1");

    public static ServiceState Stopping { get; } = new("STOPPING=1");

    public static ServiceState Watchdog { get; } = new("WATCHDOG=1");

    /// <summary>A status line for <c>systemctl status</c> (newlines would end it, so they are replaced).</summary>
    public static ServiceState Status(string text) => new("STATUS=" + text.Replace('\n', ' '));

    public override string ToString() => Text;
}
