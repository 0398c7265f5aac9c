using System.Net.Sockets;

namespace GuestAgent.Host.Qmp;

/// <summary>What a failed connect to a unix socket means, in plain words (the runtime's own texts are not for people).</summary>
public static class UnixSocketErrors
{
    public static string Describe(string path, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported when !File.Exists(path) =>
            Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/") ? $"{path} does not exist" : $"{path} does not exist (nor does its folder)",
        SocketError.ConnectionRefused => $"nothing listens on {path} (the process that made it has gone)",
        SocketError.AccessDenied => $"permission denied for {path}",
        _ when !File.Exists(path) => $"{path} does not exist",
        _ => $"cannot connect to {path} ({e.SocketErrorCode})",
    };
}
