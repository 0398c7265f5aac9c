namespace GuestAgent.Memory.Agent;

/// <summary>Files of the runtime directory, written whole: a reader (udev, a restarted agent) never sees half of one.</summary>
public static class RuntimeFile
{
    /// <summary>The suffix of a file being written; readers skip it.</summary>
    public const string TemporarySuffix = ".new";

    /// <summary>Writes <paramref name="text"/> beside <paramref name="path"/>, then renames it over; creates the folder.</summary>
    public static void WriteWhole(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + TemporarySuffix;
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }
}
