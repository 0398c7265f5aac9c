using System.CommandLine;
using GuestAgent.Host.Autoscale;
using GuestAgent.Host.Operations;
using GuestAgent.Host.Reporting;

namespace GuestAgent.Host.Cli;

/// <summary><c>guest-agent-host autoscale --min SIZE --max SIZE</c>: its options (docs/autoscale.md) and its run.</summary>
public static class AutoscaleCommand
{
    public static Command Create(Func<ParseResult, HostOptions> options, Func<ParseResult, IHostReporter> reporter, TextWriter output, TextWriter error)
    {
        var min = new Option<string>("--min") { Description = "The least memory the VM keeps, boot memory included (e.g. 1G)", Required = true };
        var max = new Option<string>("--max") { Description = "The most memory the VM gets, boot memory included (e.g. 4G)", Required = true };
        var buffer = new Option<int>("--buffer") { Description = "The share of the guest's memory kept available (MemAvailable/MemTotal), in percent: below it, grow", DefaultValueFactory = _ => 20 };
        var pressure = new Option<int>("--pressure") { Description = "The guest's memory pressure (PSI some, avg10), in percent, at which it grows", DefaultValueFactory = _ => 10 };
        var window = new Option<double>("--window") { Description = "Seconds the guest must stay comfortable (buffer + 10 points, half the pressure) with no change before memory goes", DefaultValueFactory = _ => 60 };
        var step = new Option<string>("--step") { Description = "The most one step adds or takes away", DefaultValueFactory = _ => "1G" };
        var interval = new Option<double>("--interval") { Description = "Seconds between the agent's reports (each is a decision)", DefaultValueFactory = _ => 1 };
        var failures = new Option<int>("--max-failures") { Description = "Failed steps in a row after which autoscale stops acting (it keeps reporting)", DefaultValueFactory = _ => 5 };
        var dryRun = new Option<bool>("--dry-run") { Description = "Decide and log, change nothing" };
        var verbose = new Option<bool>("--verbose") { Description = "Log every decision (default: actions, and a hold when its reason changes)" };
        var command = new Command("autoscale", "Keep the VM's memory between --min and --max by itself, until stopped: grow when the guest runs short of available memory or under memory pressure, give back only what the guest says can go after it stayed comfortable for the window; one step at a time under the VM's lock (a person's command goes first)")
        {
            min, max, buffer, pressure, window, step, interval, failures, dryRun, verbose,
        };
        command.SetAction((r, ct) => HostCli.ReportErrorsAsync(error, async () =>
        {
            var host = options(r);
            var limits = new AutoscaleLimits
            {
                Min = HostCli.ParseSize(r.GetValue(min)!, "--min"),
                Max = HostCli.ParseSize(r.GetValue(max)!, "--max"),
                BufferPercent = r.GetValue(buffer),
                PressurePercent = r.GetValue(pressure),
                Window = HostCli.Seconds(r.GetValue(window), "--window"),
                Step = HostCli.ParseSize(r.GetValue(step)!, "--step"),
                Interval = HostCli.Seconds(r.GetValue(interval), "--interval"),
                MaxFailures = r.GetValue(failures),
            };
            if (limits.Problem() is { } problem)
            {
                throw new UsageException(problem);
            }

            var runner = new AutoscaleRunner(host, new AutoscaleOptions { Limits = limits, DryRun = r.GetValue(dryRun), Verbose = r.GetValue(verbose) }, reporter(r));
            return await runner.RunAsync(ct).ConfigureAwait(false);
        }));
        return command;
    }
}
