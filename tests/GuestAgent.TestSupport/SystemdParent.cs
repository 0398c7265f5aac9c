namespace GuestAgent.TestSupport;

/// <summary>
/// Runs a program as a child of a process named <c>systemd</c>: Microsoft.Extensions.Hosting.Systemd switches itself on
/// (READY=1, STOPPING=1) only for a child of systemd, as it reads the parent's name. The parent is a copy of
/// <c>/bin/dash</c> called <c>systemd</c>, which waits for the program (the <c>exit</c> keeps it from exec'ing it).
/// The real systemd in the systemd guest is the other witness.
/// </summary>
public sealed class SystemdParent : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public SystemdParent()
    {
        Shell = Path.Combine(_directory.Path, "systemd");
        File.Copy("/bin/dash", Shell);
    }

    /// <summary>The parent's executable.</summary>
    public string Shell { get; }

    /// <summary>The parent's arguments that run <paramref name="file"/> with <paramref name="args"/> as its child.</summary>
    public IReadOnlyList<string> Arguments(string file, IEnumerable<string> args) => ["-c", "\"$@\"; exit $?", "systemd", file, .. args];

    /// <summary>The pid of the parent's child, once it has one.</summary>
    public static int ChildOf(int parent)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            var children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (children.Length > 0)
            {
                return int.Parse(children[0], System.Globalization.CultureInfo.InvariantCulture);
            }

            Thread.Sleep(10);
        }

        throw new InvalidOperationException($"process {parent} started no child");
    }

    public void Dispose() => _directory.Dispose();
}
