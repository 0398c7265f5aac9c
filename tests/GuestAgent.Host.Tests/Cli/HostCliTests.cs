using System.Text.Json.Nodes;
using GuestAgent.Host.Cli;
using GuestAgent.Host.Tests.Operations;

namespace GuestAgent.Host.Tests.Cli;

public sealed class HostCliTests
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await HostCli.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("plug", "0", "larger than zero")]
    [InlineData("plug", "-512M", "negative")]
    [InlineData("plug", "1.5B", "whole number")]
    [InlineData("set-memory", "lots", "not a size")]
    public async Task BadSizesAreUsageErrors(string command, string size, string message)
    {
        await using var h = new ControllerHarness();

        var (code, _, error) = await RunAsync([.. h.CliOptions(), command, size]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("object-add", h.Qemu.CommandNames);
    }

    [Theory]
    [InlineData("--min 2G --max 1G", "--max must be at least --min")]
    [InlineData("--min 1G --max 2G --buffer 95", "--buffer must be a percentage from 1 to 90")]
    [InlineData("--min 1G --max 2G --window 1", "--window must be from 5 s to 24 h")]
    [InlineData("--min 1G --max 2G --interval 0.1", "--interval must be from 0.2 s to 60 s")]
    [InlineData("--min lots --max 2G", "--min: ")]
    [InlineData("--max 2G", "--min")]
    public async Task AutoscaleArgumentsAreCheckedBeforeTheVmIsTouched(string arguments, string message)
    {
        await using var h = new ControllerHarness();

        var (code, _, error) = await RunAsync([.. h.CliOptions(), "autoscale", .. arguments.Split(' ')]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.Empty(h.Qemu.CommandNames);
    }

    [Fact]
    public async Task RefusalsExitWithOneAndSayWhy()
    {
        await using var h = new ControllerHarness();
        var common = h.CliOptions(withAgent: true).Concat(["--max-memory", "2G", "--agent-timeout", "2"]).ToArray();

        var unaligned = await RunAsync([.. common, "plug", "192M"]);
        var tooMuch = await RunAsync([.. common, "plug", "1.5G"]);
        var unknown = await RunAsync([.. common, "unplug", "nope"]);

        Assert.Equal((1, 1, 1), (unaligned.Code, tooMuch.Code, unknown.Code));
        Assert.Contains("not a multiple of the guest's memory block size (128 MiB)", unaligned.Error, StringComparison.Ordinal);
        Assert.Contains("beyond the VM's maximum of 2 GiB (room left: 1 GiB)", tooMuch.Error, StringComparison.Ordinal);
        Assert.Contains("no DIMM 'nope'; the hypervisor has: no DIMMs", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusPrintsJsonAndText()
    {
        await using var h = new ControllerHarness();
        h.Qemu.AddDimm("dimm0", "mem0", 256L << 20);
        var common = h.CliOptions(withAgent: true);

        var json = await RunAsync([.. common, "status", "--json"]);
        var text = await RunAsync([.. common, "status"]);

        Assert.Equal(0, json.Code);
        var report = JsonNode.Parse(json.Output)!;
        Assert.Equal("ready", report["dimms"]![0]!["readiness"]!.GetValue<string>());
        Assert.Equal(1280L << 20, report["current-memory"]!.GetValue<long>());
        Assert.Contains("dimm0           0 0x100000000   256 MiB      0 Movable          ready", text.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unplug")]
    [InlineData("set-memory")]
    public async Task ForceSaysWhatItRisks(string command)
    {
        var (code, output, _) = await RunAsync(command, "--help");

        Assert.Equal(0, code);
        Assert.Contains("Risks: the guest kernel then offlines the memory itself", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASocketThatIsNotQemuExitsWithOne()
    {
        await using var other = new Support.SimulatedQemu { Greeting = "220 smtp.example ESMTP" };

        using var locks = new GuestAgent.TestSupport.TemporaryDirectory();
        var (code, _, error) = await RunAsync("--qmp", other.Path, "--lock-dir", locks.Path, "status");

        Assert.Equal(1, code);
        Assert.Contains("is not a QMP socket", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QemuArgsPrintWhatRecreatesTheDimmsAndWarnOfWhatItCannot()
    {
        await using var h = new ControllerHarness();
        var common = h.CliOptions(withAgent: true);
        Assert.Equal(0, (await RunAsync([.. common, "plug", "256M"])).Code);
        Assert.Equal(0, (await RunAsync([.. common, "plug", "128M"])).Code);
        h.Qemu.AddDimm(null, "someone-elses", 128L << 20);
        h.Qemu.BackendTypes["ga-mem1"] = "memory-backend-file";

        var text = await RunAsync([.. common, "qemu-args"]);
        var json = await RunAsync([.. common, "qemu-args", "--json"]);

        Assert.Equal(0, text.Code);
        Assert.Equal(
            "-object memory-backend-ram,id=ga-mem0,size=268435456 -device pc-dimm,id=ga-dimm0,memdev=ga-mem0,slot=0,addr=0x100000000,node=0 "
            + "-object memory-backend-ram,id=ga-mem1,size=134217728 -device pc-dimm,id=ga-dimm1,memdev=ga-mem1,slot=1,addr=0x110000000,node=0",
            text.Output.Trim());
        Assert.Equal(8, JsonNode.Parse(json.Output)!.AsArray().Count);
        Assert.Contains("warning: slot2 has no id: QEMU cannot be told to recreate it by name", text.Error, StringComparison.Ordinal);
        Assert.Contains("warning: ga-dimm1's backend ga-mem1 is a memory-backend-file", text.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text.Error, StringComparison.Ordinal);
    }
}
