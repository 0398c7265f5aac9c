using GuestAgent.Protocol.Model;

namespace GuestAgent.DBus;

/// <summary>What the D-Bus object shows: the model's DIMMs and settings, and whether a host is connected.</summary>
public sealed record BusState(ModelReport Model, bool HostConnected);
