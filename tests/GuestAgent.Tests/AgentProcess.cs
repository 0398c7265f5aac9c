using System.Diagnostics;
using System.Text;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests;

/// <summary>Runs the real <c>guest-agent</c> binary (built beside the tests) and captures its output.</summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private readonly SystemdParent? _parent;

    private AgentProcess(string? executable, IEnumerable<string> args, IDictionary<string, string>? environment, bool underSystemdParent = false)
    {
        ProcessStartInfo start;
        if (underSystemdParent)
        {
            _parent = new SystemdParent();
            start = new ProcessStartInfo(_parent.Shell);
            foreach (var argument in _parent.Arguments(executable ?? "dotnet", []))
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start = new ProcessStartInfo(executable ?? "dotnet");
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        if (executable is null)
        {
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "guest-agent.dll"));
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The agent's process id (under a systemd-named parent, the parent's child).</summary>
    public int Id => _parent is null ? _process.Id : SystemdParent.ChildOf(_process.Id);

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static AgentProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null) => new(null, args, environment);

    /// <summary>Runs another build of the agent, e.g. the self-contained binary from the RPM.</summary>
    public static AgentProcess StartExecutable(string executable, IEnumerable<string> args, IDictionary<string, string>? environment = null) =>
        new(executable, args, environment);

    /// <summary>
    /// Runs the agent (the built one, or <paramref name="executable"/>) as systemd runs a service as far as the agent can
    /// tell: a child of a process named <c>systemd</c>, with <c>NOTIFY_SOCKET</c> in <paramref name="environment"/>.
    /// </summary>
    public static AgentProcess StartUnderSystemd(IEnumerable<string> args, IDictionary<string, string> environment, string? executable = null) =>
        new(executable, args, environment, underSystemdParent: true);

    /// <summary>Runs to completion (at most a minute) and returns the exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = Start(args);
        var code = await process.WaitAsync(TimeSpan.FromMinutes(1));
        return (code, process.Stdout, process.Stderr);
    }

    public async Task<int> WaitAsync(TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>SIGTERM to the agent, as systemd stops a service.</summary>
    public void Terminate() => Mono.Unix.Native.Syscall.kill(Id, Mono.Unix.Native.Signum.SIGTERM);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        _parent?.Dispose();
    }

    private static void Append(StringBuilder sink, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sink)
        {
            sink.AppendLine(line);
        }
    }
}
