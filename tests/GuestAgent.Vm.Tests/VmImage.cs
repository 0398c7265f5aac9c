namespace GuestAgent.Vm.Tests;

/// <summary>
/// The kernel and initramfs made by <c>tests/vm/prepare.sh</c>: found through <c>GUEST_AGENT_VM_DIR</c> (set by the
/// test command) or the default cache. Absent, the VM tests skip themselves, unless <c>GUEST_AGENT_VM_REQUIRED=1</c>
/// (the test command sets it) makes that a failure.
/// </summary>
public static class VmImage
{
    public static string Directory()
    {
        var dir = Environment.GetEnvironmentVariable("GUEST_AGENT_VM_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            var cache = Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache", "guest-agent-vm");
            dir = System.IO.Directory.Exists(cache)
                ? System.IO.Directory.EnumerateDirectories(cache).FirstOrDefault(d => File.Exists(Path.Combine(d, "vmlinux")))
                : null;
        }

        if (dir is not null && File.Exists(Path.Combine(dir, "vmlinux")) && File.Exists(Path.Combine(dir, "initrd.img")))
        {
            return dir;
        }

        if (Environment.GetEnvironmentVariable("GUEST_AGENT_VM_REQUIRED") == "1")
        {
            throw new InvalidOperationException("no VM image: run tests/vm/prepare.sh (the test command does)");
        }

        Assert.Skip("no VM image (run tests/vm/prepare.sh)");
        return "";
    }

    /// <summary>The repository's root, shared read-only with the guest at the same path.</summary>
    public static string RepositoryRoot() => TestSupport.RepositoryRoot.Find();

    /// <summary>The built guest-agent (same configuration as these tests), as the guest sees it through 9p.</summary>
    public static string AgentDll() => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "guest-agent", "GuestAgent", "bin",
        new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "guest-agent.dll") is var path && File.Exists(path)
        ? Path.GetFullPath(path)
        : throw new InvalidOperationException("guest-agent is not built: " + path);
}
