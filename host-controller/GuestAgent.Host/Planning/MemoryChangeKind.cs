namespace GuestAgent.Host.Planning;

public enum MemoryChangeKind
{
    Nothing,
    Grow,
    Shrink,
}
