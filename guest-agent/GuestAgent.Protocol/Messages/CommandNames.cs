namespace GuestAgent.Protocol.Messages;

/// <summary>The requests the agent serves (docs/protocol.md).</summary>
public static class CommandNames
{
    public const string Hello = "hello";
    public const string SyncDelimited = "sync-delimited";
    public const string GetModel = "get-model";
    public const string PrepareUnplug = "prepare-unplug";
    public const string CancelUnplug = "cancel-unplug";
    public const string SetPolicy = "set-policy";
    public const string Rescan = "rescan";
    public const string MakeMovable = "make-movable";
    public const string WatchMemory = "watch-memory";

    public static IReadOnlyList<string> All { get; } = [Hello, SyncDelimited, GetModel, PrepareUnplug, CancelUnplug, MakeMovable, SetPolicy, Rescan, WatchMemory];
}
