using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuestAgent.Host.State;

/// <summary>
/// The state file: read whole, written whole and atomically (a temporary file, fsync, rename, fsync of the folder), so a
/// crash leaves the old or the new state, never a torn one. A file that cannot be read is reported, never overwritten.
/// </summary>
public sealed class StateStore(string path)
{
    public string Path { get; } = path;

    public ControllerState Load()
    {
        if (Directory.Exists(Path))
        {
            throw new IOException($"the state file {Path} is a folder: give --state a file's path (for instance {System.IO.Path.Combine(Path, "vm.json")}), or --state-dir a folder");
        }

        if (new FileInfo(Path).LinkTarget is { } target && File.ResolveLinkTarget(Path, returnFinalTarget: true) is { Exists: false })
        {
            throw new IOException($"the state file {Path} is a symbolic link to {target}, which does not exist: make it point at a file, or remove it to start afresh");
        }

        if (!File.Exists(Path))
        {
            return new ControllerState();
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read the state file {Path}: {StateFolders.Plain(e)}", e);
        }

        ControllerState? state;
        try
        {
            if (JsonNode.Parse(bytes) is JsonObject { Count: 0 })
            {
                return new ControllerState
                {
                    LoadNote = $"the state file {Path} held nothing ({{}}): rebuilt from the hypervisor's view; what it did not keep (the memory last requested, how each DIMM came to be) is not known",
                };
            }

            state = JsonSerializer.Deserialize(bytes, StateJsonContext.Default.ControllerState);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the state file {Path} is damaged (unreadable at {e.Path ?? "its start"}, line {e.LineNumber + 1}); it is left as it is: move it away to start afresh (the hypervisor's own view is then adopted)", e);
        }

        if (state is null || state.Version != ControllerState.CurrentVersion)
        {
            throw new InvalidDataException($"the state file {Path} has version {state?.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, this controller reads {ControllerState.CurrentVersion}");
        }

        return state;
    }

    public void Save(ControllerState state)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        StateFolders.Create(folder, "state folder", "--state-dir");
        var temporary = Path + ".new";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(file, state, StateJsonContext.Default.ControllerState);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new IOException($"cannot write the state file {Path}: {StateFolders.Plain(e)}", e);
        }

        FolderSync.Flush(folder);
    }
}
