namespace GuestAgent.Host.State;

/// <summary>Makes the folders state files and locks live in, and says in plain words why one cannot be made.</summary>
public static class StateFolders
{
    /// <param name="folder">The folder.</param>
    /// <param name="what">For people: <c>state folder</c>, <c>lock folder</c>.</param>
    /// <param name="option">The option that names another: <c>--state-dir</c>.</param>
    public static void Create(string folder, string what, string option)
    {
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot make the {what} {folder}: {Plain(e)} ({option} names another)", e);
        }
    }

    /// <summary>The reason of a file-system error without .NET's wording (which quotes paths and names types).</summary>
    public static string Plain(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException or FileNotFoundException => "a folder on the way does not exist and cannot be made there",
        PathTooLongException => "the path is too long",
        IOException { HResult: var code } when (code & 0xFFFF) is 30 => "the file system is read-only",
        IOException { HResult: var code } when (code & 0xFFFF) is 28 => "no space left on the device",
        IOException { HResult: var code } when (code & 0xFFFF) is 20 => "a part of the path is a file, not a folder",
        IOException { HResult: var code } when (code & 0xFFFF) is 21 => "it is a folder, not a file",
        IOException { HResult: var code } when (code & 0xFFFF) is 2 => "a folder on the way does not exist and cannot be made there",
        _ => "the file system refused",
    };
}
