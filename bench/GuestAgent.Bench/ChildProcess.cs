using System.Diagnostics;
using System.Globalization;

namespace GuestAgent.Bench;

/// <summary>A process the benchmark started (and ends, by its id): output discarded but its first line, resident memory from /proc.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TestSupport.SystemdParent? _parent;

    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="environment">Added to its environment.</param>
    /// <param name="underSystemd">Run it as a child of a process named systemd (see <see cref="TestSupport.SystemdParent"/>).</param>
    public ChildProcess(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null, bool underSystemd = false)
    {
        if (underSystemd)
        {
            _parent = new TestSupport.SystemdParent();
            args = _parent.Arguments(file, args);
            file = _parent.Shell;
        }

        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + file);
        _process.OutputDataReceived += (_, e) => _firstLine.TrySetResult(e.Data ?? "");
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The program's pid (under a systemd-named parent, the parent's child).</summary>
    public int Id => _parent is null ? _process.Id : TestSupport.SystemdParent.ChildOf(_process.Id);

    public bool HasExited => _process.HasExited;

    /// <summary>The first line the child wrote on stdout ("" when it closed stdout without one).</summary>
    public Task<string> FirstLine => _firstLine.Task;

    /// <summary>VmRSS of this child in MiB.</summary>
    public double ResidentMiB() => StatusMiB("VmRSS:");

    /// <summary>RssAnon of this child in MiB: what it holds that the kernel cannot drop (no file behind it).</summary>
    public double AnonymousMiB() => StatusMiB("RssAnon:");

    private double StatusMiB(string key)
    {
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>CPU time used so far (user + system, every thread including finished ones), in milliseconds.</summary>
    public double CpuMilliseconds()
    {
        var stat = File.ReadAllText($"/proc/{Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 10.0; // USER_HZ is 100 on Linux
    }

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
}
