using System.Text.Json.Nodes;

namespace GuestAgent.Host.Reporting;

/// <summary>One JSON object per event: <c>{"event": KIND, "dimm": ID?, "message": TEXT}</c>.</summary>
public sealed class JsonReporter(TextWriter output) : IHostReporter
{
    public void Report(HostEvent e)
    {
        var line = new JsonObject { ["event"] = e.Kind };
        if (e.Dimm is not null)
        {
            line["dimm"] = e.Dimm;
        }

        line["message"] = e.Message;
        output.WriteLine(line.ToJsonString());
    }
}
