namespace GuestAgent.Host.Hypervisor;

/// <summary>One DIMM to plug: its names (reproducible: <c>ga-dimmN</c> and <c>ga-memN</c>), size and NUMA node.</summary>
public sealed record PlugRequest(string Id, string Backend, long Size, int? Node);
