using System.Diagnostics;
using System.Globalization;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// Each end-to-end scenario's wall time, appended to the file named by <c>GUEST_AGENT_TIMINGS</c> (the test command
/// prints it after the run) and to the test's output.
/// </summary>
public sealed class ScenarioTimings(string scenario) : IDisposable
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly List<string> _steps = [];

    public void Step(string what) => _steps.Add(string.Create(CultureInfo.InvariantCulture, $"{what} at {_watch.Elapsed.TotalSeconds:0.0} s"));

    public void Dispose()
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{scenario}: {_watch.Elapsed.TotalSeconds:0.0} s") + (_steps.Count > 0 ? " (" + string.Join("; ", _steps) + ")" : "");
        TestContext.Current.SendDiagnosticMessage(line);
        if (Environment.GetEnvironmentVariable("GUEST_AGENT_TIMINGS") is { Length: > 0 } file)
        {
            File.AppendAllText(file, line + Environment.NewLine);
        }
    }
}
