namespace GuestAgent.DBus;

/// <summary>Where the system bus is: <c>DBUS_SYSTEM_BUS_ADDRESS</c>, else its well-known socket.</summary>
public static class DBusAddress
{
    public const string DefaultSystemBus = "unix:path=/run/dbus/system_bus_socket";

    public static string System => Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS") is { Length: > 0 } address ? address : DefaultSystemBus;

    /// <summary>Why connecting failed, in plain words: a bus socket that is not there says so.</summary>
    public static string Describe(string address, Exception e)
    {
        const string prefix = "unix:path=";
        if (address.StartsWith(prefix, StringComparison.Ordinal))
        {
            var path = address[prefix.Length..].Split(',')[0];
            if (!File.Exists(path))
            {
                return $"{path} does not exist";
            }
        }

        return e.InnerException?.Message ?? e.Message;
    }
}
