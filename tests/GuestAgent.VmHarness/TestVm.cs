using System.Diagnostics;
using GuestAgent.TestSupport;

namespace GuestAgent.VmHarness;

/// <summary>
/// A small guest under QEMU/TCG: Debian's kernel, 1 GiB, <c>slots=8,maxmem=4G</c>, one vCPU, no network; the host's root
/// shared read-only over 9p (the guest runs the built agent from the repository), a writable shared folder, a QMP
/// socket, the agent's virtio-serial port as a socket, and the control shell. Started by the test itself
/// (<see cref="StartAsync"/>) or as a domain of a private libvirtd (<see cref="StartUnderLibvirtAsync"/>, the same
/// guest defined in libvirt's XML; libvirt then owns QEMU's monitor). The test ends only the VM it started.
/// </summary>
public sealed class TestVm : IAsyncDisposable
{
    public const string AgentPortName = "org.guestagent.memory.0";

    private readonly Func<ValueTask> _stop;
    private readonly TemporaryDirectory _dir;
    private Action? _kill;

    private GuestShell? _shell;

    private TestVm(Func<ValueTask> stop, TemporaryDirectory dir, GuestShell? shell, TimeSpan bootTime, IReadOnlyList<string> hostArguments)
    {
        _stop = stop;
        _dir = dir;
        _shell = shell;
        BootTime = bootTime;
        HostArguments = hostArguments;
    }

    /// <summary>
    /// How <c>guest-agent-host</c> reaches this VM: <c>--qmp</c> and <c>--agent</c> with QEMU's limits, or
    /// <c>--connect</c> and <c>--domain</c> (agent channel and limits from the domain XML) under libvirt.
    /// </summary>
    public IReadOnlyList<string> HostArguments { get; }

    /// <summary>The libvirt domain's name, when it runs under libvirt.</summary>
    public string? DomainName { get; private init; }

    public GuestShell Shell => _shell ?? throw new InvalidOperationException("no control shell yet: a destination's is attached once the guest has arrived (AttachShellAsync)");

    public TimeSpan BootTime { get; }

    /// <summary>The tests' own QMP monitor (for set-up and independent checks).</summary>
    public string QmpSocket => Path.Combine(_dir.Path, "qmp.sock");

    /// <summary>A second QMP monitor for the host controller (QEMU serves one client per monitor).</summary>
    public string HostQmpSocket => Path.Combine(_dir.Path, "qmp-host.sock");

    /// <summary>A third QMP monitor for <c>guest-agent-host watch</c>, which holds its monitor for as long as it runs.</summary>
    public string WatchQmpSocket => Path.Combine(_dir.Path, "qmp-watch.sock");

    /// <summary>The host controller's state file for this VM.</summary>
    public string HostStateFile => Path.Combine(_dir.Path, "vm.dimms.json");

    public string AgentSocket => Path.Combine(_dir.Path, "agent.sock");

    /// <summary>Where the host controller keeps its per-VM lock for this VM.</summary>
    public string HostLockDirectory => Path.Combine(_dir.Path, "locks");

    /// <summary>The device id of the virtio-mem device of a guest started with one.</summary>
    public const string VirtioMemId = "vm0";

    /// <summary>The QOM id of the agent's virtio-serial port (QEMU reports the guest opening and closing it as VSERPORT_CHANGE).</summary>
    public const string AgentPortId = "agentport";

    public string SharedDirectory => Path.Combine(_dir.Path, "shared");

    public string ConsoleLog => File.Exists(Path.Combine(_dir.Path, "console.log")) ? File.ReadAllText(Path.Combine(_dir.Path, "console.log")) : "";

    /// <summary>Boots a guest of <paramref name="kernel"/> (5.10, 6.1 or 6.12) and waits for its control shell.</summary>
    public static Task<TestVm> StartAsync(string extraKernelArguments = "", string kernel = VmImage.DefaultKernel, bool agentPort = true, bool virtioMem = false, IReadOnlyList<string>? extraQemuArguments = null) =>
        StartAsync(new TestVmOptions
        {
            ExtraKernelArguments = extraKernelArguments, Kernel = kernel, AgentPort = agentPort, VirtioMem = virtioMem, ExtraQemuArguments = extraQemuArguments ?? [],
        });

    /// <summary>Starts a guest as <paramref name="options"/> say: booted to its control shell, or waiting for an incoming migration.</summary>
    public static async Task<TestVm> StartAsync(TestVmOptions options)
    {
        var image = VmImage.Directory(options.Kernel);
        var dir = new TemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "shared"));
        string P(string name) => Path.Combine(dir.Path, name);
        var start = new ProcessStartInfo("qemu-system-x86_64") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var append = options.FromRam
            ? "console=ttyS0 panic=-1 quiet guest_agent_root=initramfs " + options.ExtraKernelArguments
            : $"console=ttyS0 panic=-1 quiet guest_agent_repo={VmImage.RepositoryRoot()} " + options.ExtraKernelArguments;
        var arguments = new List<string>
        {
            "-machine", "pc,accel=tcg", "-cpu", "max", "-smp", "1", "-m", "1G,slots=8,maxmem=4G",
            "-kernel", Path.Combine(image, "vmlinux"), "-initrd", options.FromRam ? VmImage.MigratableInitrd(dir.Path, options.Kernel) : Path.Combine(image, "initrd.img"),
            "-append", append.Trim(),
            "-display", "none", "-monitor", "none", "-no-reboot", "-nic", "none",
            "-serial", "file:" + P("console.log"),
            "-chardev", $"socket,id=control,path={P("control.sock")},server=on,wait=off", "-serial", "chardev:control",
            "-qmp", $"unix:{P("qmp.sock")},server=on,wait=off",
            "-qmp", $"unix:{P("qmp-host.sock")},server=on,wait=off",
            "-qmp", $"unix:{P("qmp-watch.sock")},server=on,wait=off",
        };
        if (!options.FromRam)
        {
            arguments.AddRange([
                "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
                "-fsdev", $"local,id=repo,path={VmImage.RepositoryRoot()},security_model=none,readonly=on,multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=repo,mount_tag=repo",
                "-fsdev", $"local,id=shared,path={P("shared")},security_model=none",
                "-device", "virtio-9p-pci,fsdev=shared,mount_tag=shared",
            ]);
        }

        arguments.AddRange(["-device", "virtio-serial-pci,id=vser0", "-chardev", $"socket,id=agent,path={P("agent.sock")},server=on,wait=off"]);
        if (options.AgentPort)
        {
            arguments.AddRange(["-device", AgentPortDevice]);
        }

        if (options.Name is { } name)
        {
            arguments.AddRange(["-name", name]);
        }

        if (options.Uuid is { } uuid)
        {
            arguments.AddRange(["-uuid", uuid]);
        }

        arguments.AddRange(options.ExtraQemuArguments);
        if (options.VirtioMem)
        {
            arguments.AddRange(["-object", "memory-backend-ram,id=vmem0,size=1G", "-device", $"virtio-mem-pci,id={VirtioMemId},memdev=vmem0,node=0,requested-size=0,block-size=2M"]);
        }

        if (options.Incoming is { } incoming)
        {
            arguments.AddRange(["-incoming", incoming]);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var watch = Stopwatch.StartNew();
        var qemu = Process.Start(start) ?? throw new InvalidOperationException("cannot start qemu-system-x86_64");
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        qemu.OutputDataReceived += (_, _) => { };
        qemu.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        qemu.BeginOutputReadLine();
        qemu.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(() => File.Exists(P("control.sock")) || qemu.HasExited, "QEMU's control socket", TimeSpan.FromSeconds(30));
            if (qemu.HasExited)
            {
                throw new InvalidOperationException($"QEMU exited with {qemu.ExitCode}: {string.Join('\n', errors)}");
            }

            async ValueTask Stop()
            {
                if (!qemu.HasExited)
                {
                    qemu.Kill();
                    await qemu.WaitForExitAsync();
                }

                qemu.Dispose();
            }

            var shell = options.Incoming is null
                ? await GuestShell.ConnectAsync(P("control.sock"), TimeSpan.FromSeconds(180), () => File.Exists(P("console.log")) ? File.ReadAllText(P("console.log")) : "")
                : null;
            return new TestVm(Stop, dir, shell, watch.Elapsed, ["--qmp", P("qmp-host.sock"), "--agent", P("agent.sock"), "--slots", "8", "--max-memory", "4G"])
            {
                _kill = () => qemu.Kill(),
                AgentBinaryInGuest = options.FromRam ? VmImage.RamAgentBinary : VmImage.AgentBinary(),
                Options = options,
                QemuErrors = errors,
            };
        }
        catch
        {
            qemu.Kill();
            qemu.Dispose();
            dir.Dispose();
            throw;
        }
    }

    /// <summary>What the guest was started with (a destination starts with the same, and its DIMMs).</summary>
    public TestVmOptions? Options { get; private init; }

    /// <summary>What QEMU wrote on its standard error.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> QemuErrors { get; private init; } = new();

    /// <summary>Where the guest runs the agent from: the published NativeAOT binary over 9p, or the one in its RAM.</summary>
    public string AgentBinaryInGuest { get; private init; } = VmImage.AgentBinary();

    /// <summary>
    /// A destination's control shell, once a migration brought the guest here: the guest's shell keeps running (it said
    /// READY on the source), so this connects and checks it answers.
    /// </summary>
    public async Task AttachShellAsync()
    {
        _shell = await GuestShell.AttachAsync(Path.Combine(_dir.Path, "control.sock"));
    }

    /// <summary>Kills this test's QEMU with SIGKILL, as a crash would (only a VM the test started itself).</summary>
    public void KillQemu() => (_kill ?? throw new InvalidOperationException("not a QEMU this test started"))();

    /// <summary>The <c>OOMScoreAdjust=</c> of systemd/guest-agent.service, read from the unit the RPM installs.</summary>
    public static int UnitOomScoreAdjust { get; } = int.Parse(
        File.ReadLines(Path.Combine(VmImage.RepositoryRoot(), "systemd", "guest-agent.service"))
            .Single(l => l.StartsWith("OOMScoreAdjust=", StringComparison.Ordinal))["OOMScoreAdjust=".Length..],
        System.Globalization.CultureInfo.InvariantCulture);

    private const string AgentPortDevice = $"virtserialport,bus=vser0.0,chardev=agent,name={AgentPortName},id={AgentPortId}";

    /// <summary>Hot-plugs the agent's virtserialport (for a guest started without it) through the given QMP monitor.</summary>
    public static Task AddAgentPortAsync(QmpTestClient qmp) => qmp.ExecuteAsync("device_add", new Dictionary<string, object>
    {
        ["driver"] = "virtserialport", ["bus"] = "vser0.0", ["chardev"] = "agent", ["name"] = AgentPortName, ["id"] = AgentPortId,
    });

    /// <summary>
    /// Starts the agent in the guest in the background, logging to /tmp/agent.log, with the OOM score its systemd unit
    /// gives it (<c>OOMScoreAdjust=-900</c>: a load the OOM killer ends must not take the agent with it, as it did once
    /// on a slow machine when the score was left at 0); waits until it serves the host's port (after its first scan).
    /// </summary>
    public async Task StartAgentAsync(string arguments = "")
    {
        await Shell.CheckAsync($"(setsid {AgentBinaryInGuest} run {arguments} > /tmp/agent.log 2>&1 < /dev/null & echo $! > /tmp/agent.pid; echo {UnitOomScoreAdjust} > /proc/$!/oom_score_adj)");
        await WaitInGuestAsync("grep -q 'Opened the virtio-serial port' /tmp/agent.log", "the agent serving its virtio-serial port", TimeSpan.FromSeconds(180));
    }

    public async Task StopAgentAsync()
    {
        await Shell.RunAsync("kill $(cat /tmp/agent.pid) 2>/dev/null; for i in $(seq 50); do kill -0 $(cat /tmp/agent.pid) 2>/dev/null || exit 0; sleep 0.2; done; exit 1");
    }

    /// <summary>Polls a guest shell condition (exit code 0) until true.</summary>
    public async Task WaitInGuestAsync(string condition, string what, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while ((await Shell.RunAsync(condition)).Code != 0)
        {
            if (watch.Elapsed > limit)
            {
                var log = (await Shell.RunAsync("cat /tmp/agent.log")).Output;
                throw new TimeoutException($"not true after {limit.TotalSeconds} s in the guest: {what}\nagent log:\n{log}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>
    /// Defines and starts the same guest as a domain of <paramref name="libvirt"/> (<see cref="TestDomainXml"/>) and
    /// waits for its control shell. Disposing destroys and undefines it.
    /// </summary>
    public static async Task<TestVm> StartUnderLibvirtAsync(LibvirtDaemon libvirt, string kernel = VmImage.DefaultKernel, string extraKernelArguments = "", bool virtioMem = false, bool fromRam = false, string? uuid = null)
    {
        var image = VmImage.Directory(kernel);
        var dir = new TemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "shared"));
        var name = "ga-test-" + Path.GetFileName(dir.Path)[^8..];
        var xml = Path.Combine(dir.Path, "domain.xml");
        var ramInitrd = fromRam ? VmImage.MigratableInitrd(dir.Path, kernel) : null;
        await File.WriteAllTextAsync(xml, TestDomainXml.Build(name, image, dir.Path, VmImage.RepositoryRoot(), extraKernelArguments, virtioMem, ramInitrd, uuid));
        var watch = Stopwatch.StartNew();
        try
        {
            await libvirt.VirshCheckAsync("define", xml);
            await libvirt.VirshCheckAsync("start", name);
            var console = Path.Combine(dir.Path, "console.log");
            var shell = await GuestShell.ConnectAsync(Path.Combine(dir.Path, "control.sock"), TimeSpan.FromSeconds(180), () => File.Exists(console) ? File.ReadAllText(console) : "");
            async ValueTask Stop()
            {
                await libvirt.VirshAsync("destroy", name);
                await libvirt.VirshAsync("undefine", name);
            }

            return new TestVm(Stop, dir, shell, watch.Elapsed, ["--connect", libvirt.Uri, "--domain", name])
            {
                DomainName = name, AgentBinaryInGuest = fromRam ? VmImage.RamAgentBinary : VmImage.AgentBinary(),
            };
        }
        catch
        {
            await libvirt.VirshAsync("destroy", name);
            await libvirt.VirshAsync("undefine", name);
            dir.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Migrates this libvirt domain live to <paramref name="destination"/> with <c>virsh migrate</c> (the way users do):
    /// its definition follows (<c>--persistent --undefinesource</c>), its sockets move to a folder of the destination's
    /// own (the source removes its bind-mode sockets when it stops), over loopback. Returns the domain there, its
    /// control shell attached; this one then refers to nothing.
    /// </summary>
    public async Task<TestVm> MigrateUnderLibvirtAsync(LibvirtDaemon source, LibvirtDaemon destination)
    {
        var name = DomainName ?? throw new InvalidOperationException("not a libvirt domain");
        var dir = new TemporaryDirectory();
        var xml = (await source.VirshCheckAsync("dumpxml", "--migratable", name)).Replace(_dir.Path, dir.Path, StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(_dir.Path, "*.img"))
        {
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file))); // the initramfs the domain names
        }

        var definition = Path.Combine(dir.Path, "destination.xml");
        await File.WriteAllTextAsync(definition, xml);
        var port = 49152 + Random.Shared.Next(1000);
        await source.VirshCheckAsync("migrate", "--live", "--persistent", "--undefinesource", name, destination.Uri, "--xml", definition,
            "--migrateuri", $"tcp://127.0.0.1:{port}", "--listen-address", "127.0.0.1");
        async ValueTask Stop()
        {
            await destination.VirshAsync("destroy", name);
            await destination.VirshAsync("undefine", name);
        }

        return new TestVm(Stop, dir, await GuestShell.AttachAsync(Path.Combine(dir.Path, "control.sock")), TimeSpan.Zero, ["--connect", destination.Uri, "--domain", name])
        {
            DomainName = name, AgentBinaryInGuest = AgentBinaryInGuest,
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_shell is not null)
        {
            await _shell.DisposeAsync();
        }

        await _stop();
        _dir.Dispose();
    }
}
