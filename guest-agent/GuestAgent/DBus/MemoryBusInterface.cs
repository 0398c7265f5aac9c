namespace GuestAgent.DBus;

/// <summary>The agent's D-Bus interface on the system bus: names, signatures and the introspection data (README, "D-Bus").</summary>
public static class MemoryBusInterface
{
    public const string BusName = "org.guestagent.Memory1";
    public const string ObjectPath = "/org/guestagent/Memory1";
    public const string InterfaceName = "org.guestagent.Memory1";
    public const string ErrorPrefix = "org.guestagent.Memory1.Error.";

    public const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    /// <summary>One DIMM: id, slot (-1: none), kind, start, size, node (-1: unknown), zones, state, readiness, reason.</summary>
    public const string DimmSignature = "(sisttiassss)";

    /// <summary>Per virtio-mem device: id, virtio device, region start, region size, plugged, Movable part, can be unplugged now, readiness, reason.</summary>
    public const string VirtioMemSignature = "(sstttttss)";

    public static IReadOnlyList<string> PropertyNames { get; } = ["BlockSize", "Policy", "HostConnected", "Dimms", "VirtioMem"];

    /// <summary>Methods that change memory state: root only (the bus policy says so too).</summary>
    /// <summary>The error a call gets when the agent stops before it is carried out.</summary>
    public const string StoppingError = "org.guestagent.Memory1.Error.Stopping";

    public static IReadOnlyDictionary<string, string> MethodSignatures { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PrepareUnplug"] = "u",
        ["CancelUnplug"] = "u",
        ["MakeMovable"] = "u",
        ["Rescan"] = "",
        ["SetPolicy"] = "s",
    };

    /// <summary>
    /// The introspection data of the interfaces this object serves itself (the library answers
    /// <c>org.freedesktop.DBus.Introspectable</c> and <c>org.freedesktop.DBus.Peer</c> and adds them).
    /// </summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> InterfaceXml { get; } =
    [
        """
        <interface name="org.guestagent.Memory1">
          <property name="BlockSize" type="t" access="read">
            <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="const"/>
          </property>
          <property name="Policy" type="s" access="read"/>
          <property name="HostConnected" type="b" access="read"/>
          <property name="Dimms" type="a(sisttiassss)" access="read"/>
          <property name="VirtioMem" type="a(sstttttss)" access="read"/>
          <method name="PrepareUnplug">
            <arg name="slot" type="u" direction="in"/>
            <arg name="ok" type="b" direction="out"/>
            <arg name="message" type="s" direction="out"/>
          </method>
          <method name="CancelUnplug">
            <arg name="slot" type="u" direction="in"/>
            <arg name="ok" type="b" direction="out"/>
            <arg name="message" type="s" direction="out"/>
          </method>
          <method name="MakeMovable">
            <arg name="slot" type="u" direction="in"/>
            <arg name="ok" type="b" direction="out"/>
            <arg name="message" type="s" direction="out"/>
          </method>
          <method name="Rescan"/>
          <method name="SetPolicy">
            <arg name="policy" type="s" direction="in"/>
          </method>
          <signal name="DimmChanged">
            <arg name="id" type="s"/>
            <arg name="state" type="s"/>
            <arg name="zones" type="as"/>
          </signal>
          <signal name="ReadinessChanged">
            <arg name="id" type="s"/>
            <arg name="readiness" type="s"/>
            <arg name="reason" type="s"/>
          </signal>
        </interface>
        """u8.ToArray(),
        """
        <interface name="org.freedesktop.DBus.Properties">
          <method name="Get">
            <arg name="interface_name" type="s" direction="in"/>
            <arg name="property_name" type="s" direction="in"/>
            <arg name="value" type="v" direction="out"/>
          </method>
          <method name="GetAll">
            <arg name="interface_name" type="s" direction="in"/>
            <arg name="props" type="a{sv}" direction="out"/>
          </method>
          <method name="Set">
            <arg name="interface_name" type="s" direction="in"/>
            <arg name="property_name" type="s" direction="in"/>
            <arg name="value" type="v" direction="in"/>
          </method>
          <signal name="PropertiesChanged">
            <arg name="interface_name" type="s"/>
            <arg name="changed_properties" type="a{sv}"/>
            <arg name="invalidated_properties" type="as"/>
          </signal>
        </interface>
        """u8.ToArray(),
    ];
}
