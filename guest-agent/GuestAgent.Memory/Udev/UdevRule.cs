namespace GuestAgent.Memory.Udev;

/// <summary>A rules file that onlines hot-added memory (it writes <c>ATTR{state}</c> for the memory subsystem).</summary>
/// <param name="Name">The file name, which decides the order udev runs it in.</param>
/// <param name="Path">Where udev reads it from (the highest-priority directory that has that name).</param>
/// <param name="IsOwn">This project's drop-in.</param>
public sealed record UdevRule(string Name, string Path, bool IsOwn)
{
    /// <summary>Why it (a rules file, or a folder of them) could not be read: then whether it onlines memory is not known.</summary>
    public string? Unreadable { get; init; }
}
