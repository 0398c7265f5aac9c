namespace GuestAgent.StackFloor;

/// <summary>One bound section, as the agent binds its own.</summary>
public sealed class FloorOptions
{
    public string Policy { get; set; } = "movable";

    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromMinutes(1);
}
