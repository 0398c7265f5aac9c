
namespace GuestAgent.Tests.Packaging;

/// <summary>Runs the distribution tools the packaging is checked with (systemd-analyze, udevadm, unshare).</summary>
internal static class PackagingTools
{
    public static string RepositoryRoot() => TestSupport.RepositoryRoot.Find();

    /// <summary>Skips the test where a tool is missing, unless the test command said the tools must be there.</summary>
    public static void Require(params string[] tools)
    {
        foreach (var tool in tools)
        {
            if (!File.Exists(tool))
            {
                if (Environment.GetEnvironmentVariable("GUEST_AGENT_VM_REQUIRED") == "1")
                {
                    throw new InvalidOperationException($"{tool} is missing (scripts/setup.sh installs it)");
                }

                Assert.Skip($"{tool} is missing");
            }
        }
    }

    public static Task<(int Code, string Output)> RunAsync(string file, params string[] args) => RunAsync(file, args, TimeSpan.FromMinutes(2));

    public static Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeLimit) => TestSupport.ToolRunner.RunAsync(file, args, timeLimit);
}
