using System.Text.Json;
using GuestAgent.Protocol.Model;
using GuestAgent.TestSupport;

namespace GuestAgent.Tests.Cli;

public sealed class ScanCommandTests : IDisposable
{
    private readonly FakeSysfsTree _tree = new();
    private readonly TemporaryDirectory _runtime = new();
    private readonly FakeProcTree _proc = new();

    public ScanCommandTests()
    {
        _tree.AddBootMemory(8)
            .AddDimm(0, 32, 2, "online", "Movable")
            .AddDimm(1, 34, 2, "online", "Normal")
            .AddDimm(2, 36, 2);
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> ScanAsync(params string[] extra) =>
        AgentProcess.RunAsync(["scan", "--sysfs-root", _tree.RootPath, "--proc-root", _proc.RootPath, "--runtime-dir", _runtime.Path, .. extra]);

    [Fact]
    public async Task JsonFollowsTheDocumentedSchema()
    {
        var (code, stdout, stderr) = await ScanAsync("--json");

        Assert.True(code == 0, stderr);
        var report = JsonSerializer.Deserialize(stdout, ModelJsonContext.Default.ModelReport)!;
        Assert.Equal("guest-agent/model/1", report.Schema);
        Assert.Equal(128L << 20, report.BlockSize);
        Assert.Equal("movable", report.Policy);
        Assert.Equal(14, report.Blocks.Total);
        Assert.Equal(2, report.Blocks.Offline);
        Assert.Equal(256L << 20, report.Blocks.MovableBytes);

        var slot1 = report.Dimms.Single(d => d.Slot == 1);
        Assert.Equal("acpi", slot1.Kind);
        Assert.Equal("PNP0C80:01", slot1.AcpiDevice);
        Assert.Equal(34 * (128L << 20), slot1.Start);
        Assert.Equal(["memory34", "memory35"], slot1.Blocks);
        Assert.Equal("not-ready", slot1.Readiness);
        Assert.StartsWith("memory34 is in zone Normal (", slot1.Reason, StringComparison.Ordinal);
        Assert.Equal("kernel-zone", slot1.Blocker);
        Assert.Equal("ready", report.Dimms.Single(d => d.Slot == 0).Readiness);
        Assert.Equal("boot-memory", report.Dimms.Single(d => d.Kind == "boot").Readiness);

        using var document = JsonDocument.Parse(stdout);
        Assert.True(document.RootElement.TryGetProperty("block-size", out _)); // kebab-case names, as in QMP
    }

    [Fact]
    public async Task TextIsATableWithReadinessAndReasons()
    {
        var (code, stdout, _) = await ScanAsync();

        Assert.Equal(0, code);
        Assert.Contains("Memory block size: 128M", stdout);
        Assert.Contains("DIMM", stdout);
        Assert.Contains("READINESS", stdout);
        Assert.Contains("memory34 is in zone Normal", stdout);
        Assert.Contains("0x0000000100000000-0x000000010fffffff", stdout);
    }

    [Fact]
    public async Task ApplyOnlinesOfflineDimmsPerPolicyAndSaysWhat()
    {
        var (code, stdout, stderr) = await ScanAsync("--apply", "--json");

        Assert.True(code == 0, stderr);
        Assert.Equal("online_movable", _tree.ReadState(36)); // what the real writer wrote into the fake attribute
        Assert.Equal("online_movable", _tree.ReadState(37));
        Assert.Equal("online", _tree.ReadState(32));
        var report = JsonSerializer.Deserialize(stdout, ModelJsonContext.Default.ModelReport)!;
        Assert.Equal(["memory37", "memory36"], report.Applied!.Select(a => a.Block));
        Assert.All(report.Applied!, a => Assert.True(a.Ok));
    }

    [Fact]
    public async Task ApplyWithPolicyNoneWritesNothing()
    {
        var (code, _, _) = await ScanAsync("--apply", "--policy", "none");

        Assert.Equal(0, code);
        Assert.Equal("offline", _tree.ReadState(36));
    }

    [Fact]
    public async Task AnUnknownPolicyIsAUsageError()
    {
        var (code, _, stderr) = await ScanAsync("--apply", "--policy", "sideways");

        Assert.Equal(2, code);
        Assert.Contains("Memory:Policy must be one of movable, auto-movable, kernel, none", stderr);
    }

    [Fact]
    public async Task NoMemoryInformationFailsClearly()
    {
        var (code, _, stderr) = await AgentProcess.RunAsync("scan", "--sysfs-root", _runtime.Path);

        Assert.Equal(1, code);
        Assert.Contains("no memory block information under", stderr);
    }

    [Fact]
    public async Task ItReportsCapacityThePlugBudgetAndADimmThatDoesNotFit()
    {
        _proc.SetMemory(2L << 30, 300L << 20);

        var (code, stdout, stderr) = await ScanAsync("--json", "--reserve", "100M");

        Assert.True(code == 0, stderr);
        var report = JsonSerializer.Deserialize(stdout, ModelJsonContext.Default.ModelReport)!;
        Assert.Equal(300L << 20, report.Capacity!.Available);
        Assert.Equal(100L << 20, report.Capacity.Reserve);
        Assert.Equal(200L << 20, report.Capacity.Headroom);
        var slot0 = report.Dimms.Single(d => d.Slot == 0);
        Assert.Equal("not-ready", slot0.Readiness);
        Assert.Equal("capacity", slot0.Blocker);
        Assert.Equal(256L << 20, slot0.OnlineBytes);
        Assert.Contains("must stay available (Memory:UnplugReserve)", slot0.Reason, StringComparison.Ordinal);
        Assert.NotNull(report.PlugBudget);
        Assert.Contains("Movable memory may grow to 301%", report.PlugBudget!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("scan", "--sysfs-root")]
    [InlineData("prepare-unplug", "zero")]
    public async Task BadCommandLinesExitTwoInPlainWords(params string[] args)
    {
        var (code, _, stderr) = await AgentProcess.RunAsync(args);

        Assert.Equal(2, code);
        Assert.StartsWith("guest-agent: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"System\.|Nullable|`1|Exception", stderr);
    }

    [Fact]
    public async Task ABadReserveIsAUsageError()
    {
        var (code, _, stderr) = await ScanAsync("--reserve", "lots");

        Assert.Equal(2, code);
        Assert.Contains("Memory:UnplugReserve must be a size such as 128M or 1G", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _proc.Dispose();
        _tree.Dispose();
        _runtime.Dispose();
    }
}
