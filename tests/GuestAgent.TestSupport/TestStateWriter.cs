using GuestAgent.Memory.Writing;

namespace GuestAgent.TestSupport;

/// <summary>The agent's own state writer (<c>guest-agent write-state</c>), built beside the tests, as the real writer's child.</summary>
public static class TestStateWriter
{
    public static StateWriterCommand Command { get; } = new("dotnet", [Path.Combine(AppContext.BaseDirectory, "guest-agent.dll"), "write-state"]);

    public static SysfsBlockStateWriter For(Memory.Sysfs.SysfsRoot root) => new(root, Command);
}
