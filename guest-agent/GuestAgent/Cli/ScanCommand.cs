using System.CommandLine;
using System.Text.Json;
using GuestAgent.Memory.Agent;
using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Proc;
using GuestAgent.Memory.Sysfs;
using GuestAgent.Logging;
using GuestAgent.Memory.Writing;
using GuestAgent.Protocol.Model;
using GuestAgent.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestAgent.Cli;

/// <summary><c>guest-agent scan [--sysfs-root DIR] [--json] [--apply] [--policy P]</c>: prints the model; --apply onlines per policy once first.</summary>
public static class ScanCommand
{
    public static Command Create()
    {
        var sysfsRoot = new Option<string>("--sysfs-root") { Description = "Where sysfs is mounted", DefaultValueFactory = _ => SysfsRoot.DefaultPath };
        var procRoot = new Option<string>("--proc-root") { Description = "Where procfs is mounted (the memory accounting of the capacity check)", DefaultValueFactory = _ => ProcRoot.DefaultPath };
        var reserve = new Option<string>("--reserve") { Description = "What must stay available after an unplug (Memory:UnplugReserve)", DefaultValueFactory = _ => new MemoryAgentOptions().UnplugReserve };
        var json = new Option<bool>("--json") { Description = "Print the model as JSON (schema guest-agent/model/1, docs/model.md)" };
        var apply = new Option<bool>("--apply") { Description = "Online offline memory per the policy once, then print" };
        var policy = new Option<string>("--policy") { Description = "Policy for --apply: " + OnlinePolicyNames.Choices, DefaultValueFactory = _ => "movable" };
        var runtimeDir = new Option<string>("--runtime-dir") { Description = "The agent's runtime directory (record of DIMMs present at boot)", DefaultValueFactory = _ => new MemoryAgentOptions().RuntimeDirectory };
        var command = new Command("scan", "Print the memory model: blocks, DIMMs, zones and readiness for unplug") { sysfsRoot, procRoot, reserve, json, apply, policy, runtimeDir };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new MemoryAgentOptions
            {
                SysfsRoot = Path.GetFullPath(result.GetValue(sysfsRoot)!),
                ProcRoot = Path.GetFullPath(result.GetValue(procRoot)!),
                UnplugReserve = result.GetValue(reserve)!,
                Policy = result.GetValue(policy)!,
                RuntimeDirectory = Path.GetFullPath(result.GetValue(runtimeDir)!),
            };
            var errors = options.Validate();
            if (errors.Count > 0)
            {
                await Console.Error.WriteLineAsync("guest-agent scan: " + string.Join("; ", errors)).ConfigureAwait(false);
                return ExitCodes.Usage;
            }

            var report = result.GetValue(apply)
                ? await ApplyAsync(options, cancellationToken).ConfigureAwait(false)
                : Scan(options);
            Console.Out.Write(result.GetValue(json)
                ? JsonSerializer.Serialize(report, ModelJsonContext.Default.ModelReport) + Environment.NewLine
                : ModelTextFormatter.Format(report));
            if (report.BlockSize <= 0)
            {
                await Console.Error.WriteLineAsync($"guest-agent scan: no memory block information under {options.ToSysfsRoot().MemoryDirectory}").ConfigureAwait(false);
                return ExitCodes.Failed;
            }

            return report.Applied?.Any(a => !a.Ok) == true ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    private static ModelReport Scan(MemoryAgentOptions options)
    {
        var bootSlots = new BootInventory(options.RuntimeDirectory, NullLogger.Instance).Load();
        var snapshot = new SysfsMemoryReader(options.ToSysfsRoot(), SysfsReadDetail.Full, options.ToProcRoot().Iomem).Read(bootSlots);
        var capacity = new Memory.Capacity.CapacityReader(options.ToProcRoot()).Read();
        var rules = new Memory.Udev.UdevRuleScanner(options.ToUdevRuleDirectories()).Scan();
        var view = AgentViewBuilder.Build(snapshot, options.ToPolicy(), capacity, options.UnplugReserveBytes, rules: rules);
        return ModelReportBuilder.Build(view, options.SysfsRoot);
    }

    private static async Task<ModelReport> ApplyAsync(MemoryAgentOptions options, CancellationToken cancellationToken)
    {
        using var loggerFactory = AgentLogging.CreateStderrFactory(Serilog.Events.LogEventLevel.Information);
        using var writer = new SysfsBlockStateWriter(options.ToSysfsRoot(), WriteStateCommand.Self());
        var agent = new MemoryAgent(options, writer, loggerFactory.CreateLogger<MemoryAgent>());
        var view = await agent.ReconcileAsync("scan --apply", cancellationToken).ConfigureAwait(false);
        return ModelReportBuilder.Build(view, options.SysfsRoot, view.LastOutcomes.Values.OrderByDescending(o => o.BlockId));
    }
}
