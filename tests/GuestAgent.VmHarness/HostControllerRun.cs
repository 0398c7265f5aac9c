using System.Diagnostics;

namespace GuestAgent.VmHarness;

/// <summary>What one run of the real <c>guest-agent-host</c> did.</summary>
public sealed record HostControllerRun(string Arguments, int Code, string Output, string Error, TimeSpan Elapsed)
{
    /// <summary>
    /// Runs the built <c>guest-agent-host</c> against <paramref name="vm"/>'s own QMP monitor, virtio-serial socket,
    /// state file and lock folder, with <c>--slots 8 --max-memory 4G</c> as the VM was started.
    /// </summary>
    public static Task<HostControllerRun> RunAsync(TestVm vm, params string[] arguments) =>
        RunWithAsync([.. vm.HostArguments, "--state", vm.HostStateFile, "--lock-dir", vm.HostLockDirectory, .. arguments]);

    /// <summary>Runs the built <c>guest-agent-host</c> with exactly these arguments (e.g. another monitor than the VM's own).</summary>
    public static async Task<HostControllerRun> RunWithAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(VmImage.HostController()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start guest-agent-host");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("guest-agent-host " + string.Join(' ', arguments) + " did not finish in 10 minutes");
        }

        return new HostControllerRun(string.Join(' ', arguments), process.ExitCode, await output, await error, watch.Elapsed);
    }

    /// <summary>
    /// Starts <c>guest-agent-host watch --json</c> on the VM's watch monitor (QEMU's events only: the agent's socket
    /// serves one client, the commands'). The caller ends it, and only it, through the returned process.
    /// </summary>
    public static Process StartWatch(TestVm vm, System.Collections.Concurrent.ConcurrentQueue<string> lines) =>
        TestSupport.LineCollectingProcess.Start(VmImage.HostController(), ["--qmp", vm.WatchQmpSocket, "watch", "--json"], lines);

    /// <summary>Starts <c>guest-agent-host</c> against the VM without waiting (for a test that ends it midway, by this process).</summary>
    public static Process Start(TestVm vm, System.Collections.Concurrent.ConcurrentQueue<string> lines, params string[] arguments) =>
        TestSupport.LineCollectingProcess.Start(VmImage.HostController(), [.. vm.HostArguments, "--state", vm.HostStateFile, "--lock-dir", vm.HostLockDirectory, .. arguments], lines);

    /// <summary>As <see cref="Start(TestVm, System.Collections.Concurrent.ConcurrentQueue{string}, string[])"/>, its standard error kept too.</summary>
    public static Process Start(TestVm vm, System.Collections.Concurrent.ConcurrentQueue<string> lines, System.Collections.Concurrent.ConcurrentQueue<string> errors, params string[] arguments) =>
        TestSupport.LineCollectingProcess.Start(VmImage.HostController(), [.. vm.HostArguments, "--state", vm.HostStateFile, "--lock-dir", vm.HostLockDirectory, .. arguments], lines, errors);

    /// <summary>Starts <c>guest-agent-host</c> with exactly these arguments without waiting; the caller ends it, and only it.</summary>
    public static Process StartWith(System.Collections.Concurrent.ConcurrentQueue<string> lines, System.Collections.Concurrent.ConcurrentQueue<string> errors, params string[] arguments) =>
        TestSupport.LineCollectingProcess.Start(VmImage.HostController(), arguments, lines, errors);

    /// <summary>Throws with everything it printed unless it exited 0.</summary>
    public HostControllerRun Check() => Code == 0
        ? this
        : throw new InvalidOperationException($"guest-agent-host {Arguments} exited {Code}:\n{Output}\n{Error}");
}
