namespace GuestAgent.Host.Reporting;

/// <summary>Where workflows report what they do; the CLI renders it (text, or one JSON object per line).</summary>
public interface IHostReporter
{
    void Report(HostEvent e);
}
