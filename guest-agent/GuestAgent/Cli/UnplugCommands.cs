using System.CommandLine;
using System.Text.Json.Nodes;
using GuestAgent.Protocol;
using GuestAgent.Protocol.Messages;

namespace GuestAgent.Cli;

/// <summary><c>guest-agent prepare-unplug SLOT</c>, <c>cancel-unplug SLOT</c> and <c>make-movable SLOT</c>, for admins.</summary>
public static class UnplugCommands
{
    public static Command PrepareUnplug() => Create(
        CommandNames.PrepareUnplug,
        "Offline every block of the DIMM in SLOT ahead of unplug (refused when what it holds does not fit into the rest of the guest; rolled back if any block fails)",
        new Option<bool>("--force") { Description = "Offline even when what the DIMM holds does not fit into the rest of the guest: processes may be OOM-killed (the offline still stops if the guest stalls on memory)" });

    public static Command CancelUnplug() => Create(
        CommandNames.CancelUnplug,
        "Online the DIMM in SLOT again (stops a prepare in progress)",
        null);

    public static Command MakeMovable() => Create(
        CommandNames.MakeMovable,
        "Move the DIMM in SLOT from a kernel zone into Movable, where it can be unplugged: offline its blocks (refused when what it holds does not fit into the rest of the guest; rolled back if any block fails), then online them Movable",
        new Option<bool>("--force") { Description = "Offline even when what the DIMM holds does not fit into the rest of the guest: processes may be OOM-killed (the offline still stops if the guest stalls on memory)" });

    private static Command Create(string name, string description, Option<bool>? force)
    {
        var socket = ControlSocketClient.SocketOption();
        var slot = new Argument<int>("SLOT") { Description = "The DIMM's slot (as QEMU and `guest-agent status` show it)" };
        var command = new Command(name, description) { slot, socket };
        if (force is not null)
        {
            command.Options.Add(force);
        }

        command.SetAction((result, cancellationToken) => ControlSocketClient.RunAsync(
            result.GetValue(socket)!,
            async client =>
            {
                var arguments = new JsonObject { ["slot"] = result.GetValue(slot) };
                if (force is not null && result.GetValue(force))
                {
                    arguments["force"] = true;
                }

                var reply = await client.ExecuteAsync(name, arguments, ProtocolJsonContext.Default.OperationReturn, cancellationToken).ConfigureAwait(false);
                Console.Out.WriteLine($"{reply.Dimm}: {reply.Message} (readiness: {reply.Readiness ?? "?"})");
                foreach (var block in reply.Blocks)
                {
                    Console.Out.WriteLine($"  {block.Block}: {block.Action}: {(block.Ok ? "ok" : "FAILED")}: {block.Message}");
                }

                return ExitCodes.Ok;
            },
            cancellationToken));
        return command;
    }
}
