namespace GuestAgent.VmHarness;

/// <summary>
/// The kernels and initramfs made by <c>tests/vm/prepare.sh</c>: found through <c>GUEST_AGENT_VM_DIR*</c> (set by
/// the test command) or the default cache. Absent, <see cref="Directory"/> throws <see cref="VmImageMissingException"/>;
/// the VM tests skip themselves then, unless <c>GUEST_AGENT_VM_REQUIRED=1</c> (the test command sets it).
/// </summary>
public static class VmImage
{
    /// <summary>The kernel the end-to-end tests boot unless a test names another: Debian 12's.</summary>
    public const string DefaultKernel = "6.1";

    /// <summary>The kernels <c>tests/vm/prepare.sh</c> can prepare: 5.10 (the closest to RHEL 9's 5.14), 6.1, 6.12 (RHEL 10's base).</summary>
    public static readonly IReadOnlyList<string> Kernels = ["5.10", "6.1", "6.12"];

    /// <summary>
    /// The prepared image of <paramref name="kernel"/> (5.10, 6.1 or 6.12): <c>GUEST_AGENT_VM_DIR</c> for 6.1,
    /// <c>GUEST_AGENT_VM_DIR_5_10</c> and <c>GUEST_AGENT_VM_DIR_6_12</c> for the others (the test command sets all
    /// three), else the newest of that series in the default cache.
    /// </summary>
    public static string Directory(string kernel = DefaultKernel)
    {
        if (!Kernels.Contains(kernel))
        {
            throw new ArgumentException($"no such test kernel: {kernel} (5.10, 6.1 or 6.12)", nameof(kernel));
        }

        var variable = kernel == DefaultKernel ? "GUEST_AGENT_VM_DIR" : "GUEST_AGENT_VM_DIR_" + kernel.Replace('.', '_');
        var dir = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(dir))
        {
            var cache = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "guest-agent-vm");
            dir = System.IO.Directory.Exists(cache)
                ? System.IO.Directory.EnumerateDirectories(cache)
                    .Where(d => Path.GetFileName(d).StartsWith(kernel + ".", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "vmlinux")))
                    .Order(StringComparer.Ordinal)
                    .LastOrDefault()
                : null;
        }

        if (dir is not null && File.Exists(Path.Combine(dir, "vmlinux")) && File.Exists(Path.Combine(dir, "initrd.img")))
        {
            return dir;
        }

        throw new VmImageMissingException($"no VM image of kernel {kernel}: run tests/vm/prepare.sh {kernel} (the test command does)");
    }

    /// <summary>True when a missing image must fail the tests rather than skip them (the test command sets it).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("GUEST_AGENT_VM_REQUIRED") == "1";

    /// <summary>The repository's root, shared read-only with the guest at the same path.</summary>
    public static string RepositoryRoot() => TestSupport.RepositoryRoot.Find();

    /// <summary>The built guest-agent (same configuration as the caller), as the guest sees it through 9p.</summary>
    public static string AgentDll() => Built(Path.Combine("guest-agent", "GuestAgent"), "guest-agent.dll");

    /// <summary>
    /// The initramfs of a guest that runs from RAM (no 9p share, so QEMU can migrate it): <paramref name="kernel"/>'s
    /// initramfs with the published agent, its libraries and the control shell appended (tests/vm/pack-agent.sh), into
    /// <paramref name="folder"/>.
    /// </summary>
    public static string MigratableInitrd(string folder, string kernel = DefaultKernel)
    {
        AgentBinary(); // published first, or say so
        var packed = Path.Combine(folder, "agent.cpio.gz");
        var pack = System.Diagnostics.Process.Start("bash", [Path.Combine(RepositoryRoot(), "tests", "vm", "pack-agent.sh"), packed])
                   ?? throw new InvalidOperationException("cannot run tests/vm/pack-agent.sh");
        pack.WaitForExit();
        if (pack.ExitCode != 0)
        {
            throw new InvalidOperationException($"tests/vm/pack-agent.sh exited {pack.ExitCode}");
        }

        var initrd = Path.Combine(folder, "initrd-ram.img");
        using (var output = File.Create(initrd))
        {
            foreach (var part in new[] { Path.Combine(Directory(kernel), "initrd.img"), packed })
            {
                using var input = File.OpenRead(part);
                input.CopyTo(output);
            }
        }

        return initrd;
    }

    /// <summary>Where the guest that runs from RAM has the agent (see <see cref="MigratableInitrd"/>).</summary>
    public const string RamAgentBinary = "/agent/guest-agent";

    /// <summary>
    /// The agent as the RPM ships it: the NativeAOT executable <c>scripts/publish-aot.sh</c> writes into artifacts/aot/
    /// (the test command and the main job publish it first). The guest runs this one.
    /// </summary>
    public static string AgentBinary() =>
        Path.Combine(RepositoryRoot(), "artifacts", "aot", "guest-agent") is var path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"the agent is not published: {path} (bash scripts/publish-aot.sh; the test command does)");

    /// <summary>
    /// The host controller as users get it: the NativeAOT executable <c>scripts/publish-aot.sh</c> writes into
    /// artifacts/aot-host/ (the test command and the main job publish it first).
    /// </summary>
    public static string HostController() =>
        Path.Combine(RepositoryRoot(), "artifacts", "aot-host", "guest-agent-host") is var path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"the host controller is not published: {path} (bash scripts/publish-aot.sh host-controller/GuestAgent.Host artifacts/aot-host; the test command does)");

    /// <summary>
    /// The RPM of <paramref name="release"/> (1, or 2 for an upgrade) as <c>scripts/test.sh</c> builds it for the systemd
    /// guest into artifacts/vm-rpms/ (apart from the packaging tests' own builds, which run meanwhile).
    /// </summary>
    public static string Rpm(int release) =>
        System.IO.Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "artifacts", "vm-rpms"), $"guest-agent-*-{release}.x86_64.rpm").SingleOrDefault()
        ?? throw new InvalidOperationException($"no RPM of release {release} in artifacts/vm-rpms (the test command builds it: bash scripts/rpm.sh {release})");

    /// <summary>The JIT build of guest-agent-host (same configuration as the caller), for the benchmark's comparison.</summary>
    public static string HostControllerDllForBench() => Built(Path.Combine("host-controller", "GuestAgent.Host"), "guest-agent-host.dll");

    /// <summary>The configuration (Debug/Release) the calling assembly was built in: its bin folder's child.</summary>
    public static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private static string Built(string project, string file) =>
        Path.Combine(RepositoryRoot(), project, "bin", Configuration(), "net10.0", file) is var path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{file} is not built: {path}");
}
