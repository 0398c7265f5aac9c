using System.Text.Json;

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
        if (!File.Exists(Path))
        {
            return new ControllerState();
        }

        ControllerState? state;
        try
        {
            state = JsonSerializer.Deserialize(File.ReadAllBytes(Path), StateJsonContext.Default.ControllerState);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the state file {Path} is damaged ({e.Message}); it is left as it is: move it away to start afresh (QEMU's own view is then adopted)", e);
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
        Directory.CreateDirectory(folder);
        var temporary = Path + ".new";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, state, StateJsonContext.Default.ControllerState);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path, overwrite: true);
        FolderSync.Flush(folder);
    }
}
