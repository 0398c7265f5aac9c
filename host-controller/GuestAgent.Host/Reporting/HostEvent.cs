using System.Text.Json.Nodes;

namespace GuestAgent.Host.Reporting;

/// <summary>Something a workflow did or found, for the CLI to render as a line of text or of JSON.</summary>
/// <param name="Kind">What kind of thing, kebab-case: <c>plugged</c>, <c>guest-onlined</c>, <c>prepared</c>, <c>unplugged</c>, <c>recovered</c>, <c>skipped</c>, <c>warning</c>, <c>note</c>…</param>
/// <param name="Message">For a person.</param>
/// <param name="Dimm">The DIMM it concerns, if any.</param>
public sealed record HostEvent(string Kind, string Message, string? Dimm = null)
{
    /// <summary>The figures behind it, for JSON lines (autoscale's decisions carry their inputs); null when none.</summary>
    public JsonObject? Data { get; init; }
}
