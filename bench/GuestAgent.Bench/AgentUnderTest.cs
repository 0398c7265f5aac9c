namespace GuestAgent.Bench;

/// <summary>How to start one build of the agent: the JIT build through <c>dotnet</c>, or a published binary (NativeAOT).</summary>
public sealed record AgentUnderTest(string Name, string File, IReadOnlyList<string> Prefix)
{
    /// <summary>The JIT build is measured for comparison; the targets are the shipped (NativeAOT) build's.</summary>
    public bool Shipped => File != "dotnet";

    public static AgentUnderTest Jit(string dll) => new("agent (JIT)", "dotnet", [dll]);

    public static AgentUnderTest Binary(string name, string path) => new(name, path, []);

    /// <summary>
    /// The daemon on <paramref name="sysfsRoot"/>, observing only, serving the protocol on <paramref name="socket"/>;
    /// on the D-Bus at <paramref name="busAddress"/> (as configured by default), or without D-Bus when null.
    /// </summary>
    public ChildProcess Start(string sysfsRoot, string runtimeDirectory, string socket, IDictionary<string, string>? environment = null, string? busAddress = null, bool underSystemd = false)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        if (busAddress is null)
        {
            env["GUEST_AGENT_DBus__Enabled"] = "false";
        }
        else
        {
            env["GUEST_AGENT_DBus__Address"] = busAddress;
        }

        return new ChildProcess(File, [.. Prefix, "run", "--sysfs-root", sysfsRoot, "--policy", "none", "--runtime-dir", runtimeDirectory, "--port", "", "--control-socket", "", "--listen", socket], env, underSystemd);
    }
}
