namespace GuestAgent.Memory.Sysfs;

/// <summary>How much of each <c>memoryN/</c> directory to read.</summary>
public enum SysfsReadDetail
{
    /// <summary>
    /// What decides onlining and readiness: <c>state</c> and <c>valid_zones</c> of every block, the node from the node
    /// directories, and <c>phys_index</c> of the first and last block to confirm it equals the directory number (when it
    /// does not, every block's <c>phys_index</c> is read). <c>online</c> (it repeats <c>state</c>) and the legacy
    /// <c>removable</c> are not read. Two reads per block: what the daemon uses.
    /// </summary>
    Essential,

    /// <summary>Every attribute of every block (five reads per block): what <c>guest-agent scan</c> prints.</summary>
    Full,
}
