namespace GuestAgent.Memory.Model;

/// <summary>What a memory block's <c>state</c> attribute reads.</summary>
public enum BlockState
{
    Unknown,
    Online,
    Offline,
    GoingOffline,
}
