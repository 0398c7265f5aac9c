using System.CommandLine;
using System.Text.Json;
using GuestAgent.CommandLine;
using GuestAgent.Host.Agent;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Qmp;
using GuestAgent.Host.Reporting;
using GuestAgent.Protocol.Sizes;

namespace GuestAgent.Host.Cli;

/// <summary>The <c>guest-agent-host</c> command line: global options for the VM, one subcommand per action.</summary>
public static class HostCli
{
    /// <summary>Parses and runs; parse errors exit 2 with one plain line each (see <see cref="CommandLineRunner"/>).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        CommandLineRunner.RunAsync(Create(output, error), args, output, error, "guest-agent-host", cancellationToken, StopGrace);

    /// <summary>
    /// After SIGINT or SIGTERM, how long a command may take to end what it started (an unplug rolls back, a migration is
    /// cancelled, autoscale finishes its step) before the process is ended anyway.
    /// </summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromMinutes(6);

    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var qmp = new Option<string?>("--qmp") { Description = "QEMU's QMP unix socket (-qmp unix:PATH,server=on,wait=off): the bare-QEMU backend", Recursive = true };
        var connect = new Option<string?>("--connect") { Description = "libvirt's connection URI, e.g. qemu:///system: the libvirt backend (with --domain)", Recursive = true };
        var domain = new Option<string?>("--domain") { Description = "The libvirt domain's name or UUID", Recursive = true };
        var persistent = new Option<bool>("--persistent") { Description = "libvirt: apply plugs and unplugs to the domain's persistent definition too (default: live only)", Recursive = true };
        var agent = new Option<string?>("--agent") { Description = "The host end of the VM's virtio-serial chardev socket for the guest agent (libvirt: default from the domain XML)", Recursive = true };
        var state = new Option<string?>("--state") { Description = $"State file (default: STATE-DIR/VM.json, VM being the VM's UUID, name or QEMU process)", Recursive = true };
        var stateDir = new Option<string>("--state-dir") { Description = "Where state files are kept", DefaultValueFactory = _ => HostOptions.DefaultStateDirectory, Recursive = true };
        var lockDir = new Option<string>("--lock-dir") { Description = "Where the per-VM locks are (one controller per VM, whichever monitor it uses)", DefaultValueFactory = _ => HostOptions.DefaultLockDirectory, Recursive = true };
        var slots = new Option<int?>("--slots") { Description = "DIMM slots of the VM (default: from QEMU's query-acpi-ospm-status)", Recursive = true };
        var maxMemory = new Option<string?>("--max-memory") { Description = "The VM's maxmem, e.g. 4G (default: unknown; QEMU's own check then applies)", Recursive = true };
        var multiple = new Option<string>("--multiple") { Description = "Every DIMM is a multiple of this size", DefaultValueFactory = _ => "128M", Recursive = true };
        var agentTimeout = new Option<double>("--agent-timeout") { Description = "Seconds to wait for the guest agent to answer", DefaultValueFactory = _ => 10, Recursive = true };
        var prepareTimeout = new Option<double>("--prepare-timeout") { Description = "Seconds the guest may take to offline a DIMM", DefaultValueFactory = _ => 300, Recursive = true };
        var unplugTimeout = new Option<double>("--unplug-timeout") { Description = "Seconds to wait for DEVICE_DELETED after device_del", DefaultValueFactory = _ => 60, Recursive = true };
        var onlineTimeout = new Option<double>("--online-timeout") { Description = "Seconds to wait for the guest to online a plugged DIMM", DefaultValueFactory = _ => 60, Recursive = true };
        var resizeStall = new Option<double>("--resize-stall") { Description = "Seconds a virtio-mem device's size may stand still short of its target before set-memory gives up and sets the request back to what was reached", DefaultValueFactory = _ => 30, Recursive = true };
        var events = new Option<bool>("--json-events") { Description = "Report what plug, unplug and set-memory do as one JSON object per line", Recursive = true };

        HostOptions Options(ParseResult r) => new()
        {
            QmpPath = Backend(r.GetValue(qmp), r.GetValue(connect), r.GetValue(domain), r.GetValue(persistent)) is "qmp" ? Path.GetFullPath(r.GetValue(qmp)!) : null,
            LibvirtUri = r.GetValue(connect) is { Length: > 0 } uri ? uri : null,
            Domain = r.GetValue(domain) is { Length: > 0 } d ? d : null,
            Persistent = r.GetValue(persistent),
            AgentPath = r.GetValue(agent) is { Length: > 0 } a ? Path.GetFullPath(a) : null,
            StatePath = r.GetValue(state) is { Length: > 0 } s ? Path.GetFullPath(s) : null,
            StateDirectory = Path.GetFullPath(r.GetValue(stateDir)!),
            LockDirectory = Path.GetFullPath(r.GetValue(lockDir)!),
            Slots = r.GetValue(slots) is { } n && n <= 0 ? throw new FormatException("--slots must be a positive whole number") : r.GetValue(slots),
            MaxMemory = r.GetValue(maxMemory) is { } m ? ByteSize.Parse(m) : null,
            Multiple = ByteSize.Parse(r.GetValue(multiple)),
            AgentTimeout = Seconds(r.GetValue(agentTimeout), "--agent-timeout"),
            PrepareTimeout = Seconds(r.GetValue(prepareTimeout), "--prepare-timeout"),
            UnplugTimeout = Seconds(r.GetValue(unplugTimeout), "--unplug-timeout"),
            OnlineTimeout = Seconds(r.GetValue(onlineTimeout), "--online-timeout"),
            ResizeStallTimeout = Seconds(r.GetValue(resizeStall), "--resize-stall"),
        };

        IHostReporter Reporter(ParseResult r) => r.GetValue(events) ? new JsonReporter(output) : new TextReporter(output);

        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var status = new Command("status", "The hypervisor's DIMMs joined with the guest's view: slot, address, size, node, guest zone, readiness and reason; totals, the guest's capacity and plug budget") { json };
        status.SetAction((r, ct) => ReportErrorsAsync(error, async () =>
        {
            void Print(StatusReport report) =>
                output.Write(r.GetValue(json) ? JsonSerializer.Serialize(report, HostJsonContext.Default.StatusReport) + Environment.NewLine : StatusTextFormatter.Format(report));

            var options = Options(r) with { Command = "status", ReadOnly = true };
            try
            {
                await using var controller = await HostController.OpenAsync(options, Reporter(r), ct).ConfigureAwait(false);
                Print(await controller.StatusAsync(ct).ConfigureAwait(false));
            }
            catch (Workflows.MonitorHeldException e)
            {
                // Read-only, so it never waits for the controller that has the VM's only monitor: it says what it can.
                Print(Workflows.StatusWorkflow.FromStateFile(e.Holder, e.Message));
            }

            return ExitCodes.Ok;
        }));

        var size = new Argument<string>("SIZE") { Description = "e.g. 256M, 1G, 1.5GiB (binary units; a bare number is MiB)" };
        var node = new Option<int?>("--node") { Description = "The guest NUMA node for the DIMM" };
        var plugForce = new Option<bool>("--force") { Description = "Plug even beyond the guest's plug budget (more than it can take and still give back; the guest's kernel memory may run short)" };
        var plug = new Command("plug", "Plug one DIMM of SIZE") { size, node, plugForce };
        plug.SetAction((r, ct) => RunAsync(r, Options, Reporter(r), error, () =>
        {
            var bytes = ParseSize(r.GetValue(size)!, "SIZE");
            return ($"plug {ByteSize.Format(bytes)}", async controller =>
            {
                await controller.PlugAsync(bytes, r.GetValue(node), ct, r.GetValue(plugForce)).ConfigureAwait(false);
                return ExitCodes.Ok;
            });
        }, ct));

        var id = new Argument<string>("ID") { Description = "The DIMM's id (see status; slotN for a DIMM the hypervisor lists without an id)" };
        var force = new Option<bool>("--force") { Description = ForceRisk };
        var unplug = new Command("unplug", "Ask the guest to offline the DIMM, then remove it and its backend; on any refusal the DIMM stays online") { id, force };
        unplug.SetAction((r, ct) => RunAsync(r, Options, $"unplug {Printable.Of(r.GetValue(id)!)}", Reporter(r), error, async controller =>
        {
            await controller.UnplugAsync(r.GetValue(id)!, r.GetValue(force), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));

        var movableId = new Argument<string>("ID") { Description = "The DIMM's id (see status)" };
        var movableForce = new Option<bool>("--force") { Description = "Move it even when what it holds does not fit into the rest of the guest while it is offline: the guest's OOM killer may end processes" };
        var makeMovable = new Command("make-movable", "Ask the guest to move a DIMM it has online in a kernel zone (e.g. onlined by the kernel before the agent started) into Movable, so it can be unplugged later; nothing changes in the hypervisor") { movableId, movableForce };
        makeMovable.SetAction((r, ct) => RunAsync(r, Options, $"make-movable {Printable.Of(r.GetValue(movableId)!)}", Reporter(r), error, async controller =>
        {
            await controller.MakeMovableAsync(r.GetValue(movableId)!, r.GetValue(movableForce), ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        }, ct));

        var target = new Argument<string>("SIZE") { Description = "The memory the VM should have, boot memory included" };
        var setForce = new Option<bool>("--force") { Description = "Also release DIMMs the guest does not call ready, or with no agent, and grow beyond the plug budget. " + ForceRisk };
        var setMemory = new Command("set-memory", "Resize the VM to SIZE: through its virtio-mem device when it has one (as far as the guest can give back), else grow by one DIMM (rounded up) or release the DIMMs that best fit the decrease and fit into what the guest can give up") { target, setForce };
        setMemory.SetAction((r, ct) => RunAsync(r, Options, Reporter(r), error, () =>
        {
            var bytes = ParseSize(r.GetValue(target)!, "SIZE");
            return ($"set-memory {ByteSize.Format(bytes)}", async controller =>
            {
                var ended = await controller.SetMemoryAsync(bytes, r.GetValue(setForce), ct).ConfigureAwait(false);
                output.WriteLine($"memory is now {ByteSize.Format(ended)}");
                return ExitCodes.Ok;
            });
        }, ct));

        var uri = new Argument<string>("URI") { Description = "Where QEMU sends the VM: unix:PATH or tcp:HOST:PORT, as the destination's -incoming says" };
        var destinationQmp = new Option<string?>("--destination-qmp") { Description = "The destination QEMU's QMP socket: checked before (it waits for this VM with the same memory devices) and after" };
        var stateTo = new Option<string?>("--state-to") { Description = "Also write the state file here once the VM has moved (for a destination whose controller keeps its state elsewhere)" };
        var migrate = new Command("migrate", "Move the VM live to a destination QEMU started with the same -m, -name, -uuid, the DIMMs qemu-args prints and -incoming URI (bare QEMU; under libvirt use virsh migrate)") { uri, destinationQmp, stateTo };
        migrate.SetAction((r, ct) => RunAsync(r, Options, Reporter(r), error, () =>
        {
            var to = r.GetValue(uri)!;
            if (!to.StartsWith("unix:", StringComparison.Ordinal) && !to.StartsWith("tcp:", StringComparison.Ordinal) && !to.StartsWith("exec:", StringComparison.Ordinal))
            {
                throw new UsageException($"URI: '{Printable.Of(to)}' is not a migration URI QEMU takes (unix:PATH, tcp:HOST:PORT)");
            }

            var monitor = r.GetValue(destinationQmp) is { Length: > 0 } m ? Path.GetFullPath(m) : null;
            var copy = r.GetValue(stateTo) is { Length: > 0 } c ? Path.GetFullPath(c) : null;
            return ($"migrate to {Printable.Of(to)}", async controller =>
            {
                await controller.MigrateAsync(to, monitor, copy, ct).ConfigureAwait(false);
                return ExitCodes.Ok;
            });
        }, ct));

        var autoscale = AutoscaleCommand.Create(Options, Reporter, output, error);

        var argsJson = new Option<bool>("--json") { Description = "A JSON array of the arguments" };
        var qemuArgs = new Command("qemu-args", "Print the QEMU arguments that recreate this VM's DIMMs (ids, backends, sizes, slots, addresses, nodes) at its next start, or for the destination of a migration (bare QEMU)") { argsJson };
        qemuArgs.SetAction((r, ct) => RunAsync(r, Options, "qemu-args", Reporter(r), error, async controller =>
        {
            var (arguments, problems) = await controller.RestartArgumentsAsync(ct).ConfigureAwait(false);
            foreach (var problem in problems)
            {
                await error.WriteLineAsync("guest-agent-host: warning: " + problem).ConfigureAwait(false);
            }

            output.WriteLine(r.GetValue(argsJson)
                ? JsonSerializer.Serialize(arguments.ToArray(), HostJsonContext.Default.StringArray)
                : string.Join(' ', arguments.Select(ShellQuote)));
            return ExitCodes.Ok;
        }, ct));

        var watchJson = new Option<bool>("--json") { Description = "One JSON object per event" };
        var watch = new Command("watch", "Print the hypervisor's and the guest's events as they come (no lock taken; on bare QEMU give it its own QMP socket)") { watchJson };
        watch.SetAction((r, ct) => ReportErrorsAsync(error, async () =>
        {
            var options = Options(r);
            await using var hypervisor = await Workflows.HostSession.ConnectAsync(options, ct).ConfigureAwait(false);
            AgentLink? link = null;
            if (options.AgentPath is not null)
            {
                try
                {
                    link = await AgentLink.ConnectAsync(options.AgentPath, options.AgentTimeout, ct).ConfigureAwait(false);
                }
                catch (AgentUnavailableException e)
                {
                    await error.WriteLineAsync($"guest-agent-host: watching {hypervisor.EventSource} only: {e.Message}").ConfigureAwait(false);
                }
            }

            try
            {
                return await new EventWatcher(output, r.GetValue(watchJson)).RunAsync(hypervisor, link, ct).ConfigureAwait(false);
            }
            finally
            {
                if (link is not null)
                {
                    await link.DisposeAsync().ConfigureAwait(false);
                }
            }
        }));

        return new RootCommand("guest-agent-host: plug and unplug DIMMs of a QEMU VM (bare, or under libvirt) together with the guest agent, never losing one")
        {
            qmp, connect, domain, persistent, agent, state, stateDir, lockDir, slots, maxMemory, multiple, agentTimeout, prepareTimeout, unplugTimeout, onlineTimeout, resizeStall, events,
            status, plug, unplug, makeMovable, setMemory, migrate, autoscale, qemuArgs, watch,
        };
    }

    /// <summary>What <c>--force</c> risks, said wherever it is offered.</summary>
    public const string ForceRisk =
        "Go ahead when the guest says the DIMM is not ready or no agent answers. Risks: the guest kernel then offlines the memory itself; "
        + "kernel-zone memory usually cannot be offlined (QEMU reports _OST 0x82 and the DIMM stays), and memory that can be is taken from a guest "
        + "that may need it: when what the DIMM holds does not fit into the rest of the guest, the guest's OOM killer ends processes to make room "
        + "(the agent still stops and rolls back if the guest stalls on memory).";

    /// <summary>Which backend the options name; bad combinations are usage errors.</summary>
    private static string Backend(string? qmp, string? connect, string? domain, bool persistent)
    {
        var bare = !string.IsNullOrEmpty(qmp);
        var libvirt = !string.IsNullOrEmpty(connect);
        return (bare, libvirt) switch
        {
            (true, true) => throw new FormatException("give either --qmp PATH (bare QEMU) or --connect URI (libvirt), not both"),
            (false, false) => throw new FormatException("no hypervisor given: --qmp PATH (bare QEMU) or --connect URI --domain NAME (libvirt)"),
            (true, false) when !string.IsNullOrEmpty(domain) || persistent => throw new FormatException("--domain and --persistent go with --connect (libvirt), not --qmp"),
            (false, true) when string.IsNullOrEmpty(domain) => throw new FormatException("--connect needs --domain NAME|UUID"),
            (true, false) => "qmp",
            _ => "libvirt",
        };
    }

    /// <summary>One argument for a POSIX shell: as it is when it has only safe characters, else in single quotes.</summary>
    private static string ShellQuote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' or ',' or '.' or '/' or ':')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    internal static TimeSpan Seconds(double value, string name) =>
        value > 0 && value < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(value) : throw new FormatException($"{name} must be a positive number of seconds");

    /// <summary>A SIZE argument, checked before anything is connected (a mistyped size is a usage error, exit 2).</summary>
    internal static long ParseSize(string text, string name)
    {
        try
        {
            return ByteSize.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"{name}: {e.Message}", e);
        }
    }

    private static Task<int> RunAsync(ParseResult result, Func<ParseResult, HostOptions> options, string command, IHostReporter reporter, TextWriter error, Func<HostController, Task<int>> action, CancellationToken cancellationToken) =>
        RunAsync(result, options, reporter, error, () => (command, action), cancellationToken);

    /// <summary>
    /// Every argument is parsed before the VM is touched (<paramref name="parse"/> checks the command's own and says what
    /// it does, for the VM's lock); then the controller opens the VM and acts.
    /// </summary>
    private static Task<int> RunAsync(ParseResult result, Func<ParseResult, HostOptions> options, IHostReporter reporter, TextWriter error, Func<(string Command, Func<HostController, Task<int>> Action)> parse, CancellationToken cancellationToken) =>
        ReportErrorsAsync(error, async () =>
        {
            var parsed = options(result);
            var (command, action) = parse();
            await using var controller = await HostController.OpenAsync(parsed with { Command = command }, reporter, cancellationToken).ConfigureAwait(false);
            return await action(controller).ConfigureAwait(false);
        });

    /// <summary>Every command's errors: bad usage (an unparsable size or option) exits 2, a refusal or failure 1, each with one line on stderr.</summary>
    internal static async Task<int> ReportErrorsAsync(TextWriter error, Func<Task<int>> command)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("guest-agent-host: stopped (SIGINT or SIGTERM) before it finished; the next command finishes or rolls back what it left (status shows it)").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is FormatException or UsageException)
        {
            await error.WriteLineAsync("guest-agent-host: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is HostCommandException or QmpException or QmpCommandException or IOException or InvalidDataException or AgentUnavailableException
                                      or Hypervisor.HypervisorRefusedException or Libvirt.LibvirtException or Workflows.MonitorHeldException)
        {
            await error.WriteLineAsync("guest-agent-host: " + e.Message).ConfigureAwait(false);
            return ExitCodes.Failed;
        }
    }
}
