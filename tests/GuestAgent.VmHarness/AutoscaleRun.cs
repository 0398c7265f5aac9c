using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GuestAgent.VmHarness;

/// <summary>
/// The real <c>guest-agent-host autoscale</c> running against a test VM with <c>--json-events</c>: its decisions and
/// steps as they come, ended by SIGTERM as a service manager ends it (only this process, by its id).
/// </summary>
public sealed class AutoscaleRun : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private AutoscaleRun(Func<ConcurrentQueue<string>, ConcurrentQueue<string>, Process> start) => _process = start(_lines, _errors);

    /// <summary>Starts it on <paramref name="vm"/>'s monitor, agent socket, state file and lock folder.</summary>
    public static AutoscaleRun Start(TestVm vm, params string[] options) =>
        new((lines, errors) => HostControllerRun.Start(vm, lines, errors, ["autoscale", "--json-events", .. options]));

    /// <summary>Starts it with exactly these arguments before <c>autoscale</c> (e.g. libvirt's connection and domain).</summary>
    public static AutoscaleRun StartWith(IReadOnlyList<string> connection, params string[] options) =>
        new((lines, errors) => HostControllerRun.StartWith(lines, errors, [.. connection, "autoscale", "--json-events", .. options]));

    /// <summary>Every event so far, parsed (a line that is not JSON is kept as its text under "message").</summary>
    public IReadOnlyList<JsonObject> Events => _lines.Select(l => l.StartsWith('{') ? JsonNode.Parse(l)!.AsObject() : new JsonObject { ["event"] = "text", ["message"] = l }).ToList();

    public IReadOnlyList<JsonObject> Of(string kind) => Events.Where(e => e["event"]!.GetValue<string>() == kind).ToList();

    /// <summary>What it printed, for a failure's message.</summary>
    public string Printed => string.Join('\n', _lines) + "\n--- stderr ---\n" + string.Join('\n', _errors);

    /// <summary>Waits for the <paramref name="count"/>-th event of <paramref name="kind"/>; fails with all it said if it ends or the limit passes first.</summary>
    public async Task<JsonObject> WaitForAsync(string kind, TimeSpan limit, int count = 1)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (Of(kind) is { } seen && seen.Count >= count)
            {
                return seen[count - 1];
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"autoscale ended (exit {_process.ExitCode}) before {kind}:\n{Printed}");
            }

            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"no {kind} from autoscale within {limit.TotalSeconds} s:\n{Printed}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends SIGTERM and waits for it to end; its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan limit)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
