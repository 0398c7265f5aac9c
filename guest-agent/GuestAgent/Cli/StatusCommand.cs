using System.CommandLine;
using System.Text.Json;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;
using GuestAgent.Protocol.Model;
using GuestAgent.Reporting;

namespace GuestAgent.Cli;

/// <summary><c>guest-agent status [--json] [--socket PATH]</c>: the running agent's model, like lsmem plus readiness.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var socket = ControlSocketClient.SocketOption();
        var json = new Option<bool>("--json") { Description = "Print the model as JSON (docs/model.md)" };
        var command = new Command("status", "Ask the running agent for the model: per DIMM slot, range, size, node, zone, readiness and reason") { socket, json };
        command.SetAction((result, cancellationToken) => ControlSocketClient.RunAsync(
            result.GetValue(socket)!,
            async client =>
            {
                var model = await client.ExecuteAsync(CommandNames.GetModel, null, ProtocolJsonContext.Default.ModelReport, cancellationToken).ConfigureAwait(false);
                Console.Out.Write(result.GetValue(json)
                    ? JsonSerializer.Serialize(model, ModelJsonContext.Default.ModelReport) + Environment.NewLine
                    : ModelTextFormatter.Format(model));
                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }
}
