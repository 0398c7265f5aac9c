using System.Text.Json.Nodes;

namespace GuestAgent.Host.Reporting;

/// <summary>One JSON object per event: <c>{"event": KIND, "dimm": ID?, "message": TEXT, "data": {…}?}</c>.</summary>
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
        if (e.Data is not null)
        {
            line["data"] = e.Data.DeepClone();
        }

        output.WriteLine(line.ToJsonString());
    }
}
