namespace GuestAgent.Tests.Packaging;

/// <summary>
/// The two RPM builds (the agent's and guest-agent-host's) share scripts/rpm.sh's tree (artifacts/rpm: the source
/// tarball, the BUILD folder) and the publish of the shared projects: their test classes run one after the other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RpmCollection
{
    public const string Name = "rpm builds";
}
