using Tmds.DBus.Protocol;

namespace GuestAgent.DBus;

/// <summary>Who called: the bus daemon's <c>GetConnectionUnixUser</c> for the sender's unique name.</summary>
internal static class BusCaller
{
    /// <summary>The caller's uid; null when the bus will not say.</summary>
    public static async Task<uint?> UnixUserAsync(DBusConnection connection, string sender)
    {
        if (sender.Length == 0)
        {
            return null;
        }

        MessageBuffer call;
        var writer = connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetConnectionUnixUser", "s", MessageFlags.None);
            writer.WriteString(sender);
            call = writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }

        try
        {
            return await connection.CallMethodAsync(call, static (message, _) => message.GetBodyReader().ReadUInt32(), null).ConfigureAwait(false);
        }
        catch (DBusExceptionBase)
        {
            return null;
        }
    }
}
