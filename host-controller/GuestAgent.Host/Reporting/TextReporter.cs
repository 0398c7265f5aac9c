namespace GuestAgent.Host.Reporting;

/// <summary>One line per event: its message (indented for what the guest said).</summary>
public sealed class TextReporter(TextWriter output) : IHostReporter
{
    public void Report(HostEvent e) => output.WriteLine(e.Kind.StartsWith("guest-", StringComparison.Ordinal) ? "  " + e.Message : e.Message);
}
