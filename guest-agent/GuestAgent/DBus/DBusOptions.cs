namespace GuestAgent.DBus;

/// <summary>The <c>DBus</c> configuration section (README, "Configuration").</summary>
public sealed class DBusOptions
{
    public const string SectionName = "DBus";

    /// <summary>Serve <c>org.guestagent.Memory1</c> on the bus.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A bus address (<c>unix:path=…</c>); empty: the system bus (<c>DBUS_SYSTEM_BUS_ADDRESS</c> or its default socket).</summary>
    public string Address { get; set; } = "";

    public IReadOnlyList<string> Validate() =>
        Address.Length == 0 || Address.Contains(':', StringComparison.Ordinal)
            ? []
            : [$"{SectionName}:Address must be a D-Bus address such as unix:path=/run/dbus/system_bus_socket (got '{Address}')"];
}
