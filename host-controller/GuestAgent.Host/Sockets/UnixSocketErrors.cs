using System.Net.Sockets;

namespace GuestAgent.Host.Sockets;

/// <summary>What a failed connect to a unix socket means, in plain words (the runtime's own texts are not for people).</summary>
public static class UnixSocketErrors
{
    public static string Describe(string path, SocketException e) => e.SocketErrorCode switch
    {
        _ when Directory.Exists(path) => $"{path} is a folder, not a socket",
        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported when !File.Exists(path) =>
            Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/") ? $"{path} does not exist" : $"{path} does not exist (nor does its folder)",
        SocketError.ConnectionRefused when IsOpenableFile(path) => $"{path} is a file, not a socket",
        SocketError.ConnectionRefused => $"nothing listens on {path} (the process that made it has gone)",
        SocketError.AccessDenied => $"permission denied for {path}",
        _ when !File.Exists(path) => $"{path} does not exist",
        _ => $"cannot connect to {path} ({e.SocketErrorCode})",
    };

    /// <summary>A socket cannot be opened as a file (ENXIO); a regular file can.</summary>
    private static bool IsOpenableFile(string path)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
