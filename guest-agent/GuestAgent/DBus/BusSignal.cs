namespace GuestAgent.DBus;

/// <summary>A signal to emit: <c>DimmChanged</c>, <c>ReadinessChanged</c>, or <c>PropertiesChanged</c> (Arguments = the changed property names).</summary>
public sealed record BusSignal(string Member, IReadOnlyList<string> Arguments, IReadOnlyList<string>? Zones = null);
