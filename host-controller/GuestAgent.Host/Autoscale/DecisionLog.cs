using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GuestAgent.Host.Reporting;

namespace GuestAgent.Host.Autoscale;

/// <summary>
/// Says autoscale's decisions: every action (grow, shrink, stop) with its inputs; a hold when its reason is new
/// (figures aside), and the current one every <see cref="HoldRepeat"/> so a quiet log still shows it is alive; every
/// decision with <c>--verbose</c>. Text lines begin with the local time; JSON lines carry the inputs as data.
/// </summary>
public sealed partial class DecisionLog(IHostReporter reporter, TimeProvider time, bool verbose)
{
    public static readonly TimeSpan HoldRepeat = TimeSpan.FromMinutes(5);

    private string? _lastHold;
    private DateTimeOffset _lastHoldAt;

    public void Decision(AutoscaleDecision decision, GuestSample? latest, VmShape? vm, bool dryRun = false)
    {
        var now = time.GetUtcNow();
        if (decision.Action == AutoscaleAction.Hold)
        {
            var kind = Figures().Replace(decision.Reason, "#");
            if (!verbose && kind == _lastHold && now - _lastHoldAt < HoldRepeat)
            {
                return;
            }

            (_lastHold, _lastHoldAt) = (kind, now);
        }
        else
        {
            _lastHold = null;
        }

        var text = decision.Action switch
        {
            AutoscaleAction.Hold => "hold: " + decision.Reason,
            AutoscaleAction.Stop => "stop: " + decision.Reason,
            _ => (dryRun ? "dry run, would " : "") + decision.Reason,
        };
        var data = new JsonObject
        {
            ["action"] = decision.Action.ToString().ToLowerInvariant(),
            ["bytes"] = decision.Bytes,
            ["devices"] = new JsonArray(decision.Devices.Select(d => (JsonNode?)d).ToArray()),
            ["reason"] = decision.Reason,
            ["dry-run"] = dryRun,
        };
        if (latest is not null)
        {
            data["total"] = latest.Total;
            data["available"] = latest.Available;
            data["psi-some-avg10"] = latest.PressureSome;
            data["psi-full-avg10"] = latest.PressureFull;
        }

        if (vm is not null)
        {
            data["memory"] = vm.Current;
        }

        Say("autoscale-" + data["action"]!.GetValue<string>(), text, data);
    }

    /// <summary>Anything else autoscale has to say (started, yielding, a step's end).</summary>
    public void Say(string kind, string message, JsonObject? data = null) =>
        reporter.Report(new HostEvent(kind, time.GetLocalNow().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " " + message) { Data = data });

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Figures();
}
