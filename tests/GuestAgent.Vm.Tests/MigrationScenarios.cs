using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using GuestAgent.VmHarness;

namespace GuestAgent.Vm.Tests;

/// <summary>
/// Live migration on bare QEMU, one machine, real QEMUs and a real 6.1 guest running from RAM (issue 21), in order:
/// a destination started without the DIMMs is refused before anything starts; <c>migrate</c> to one started with
/// <c>qemu-args</c>' arguments moves the guest with two DIMMs, a virtio-mem device and data in a tmpfs and in a process
/// (a change asked meanwhile is refused); there, the controller works as on any VM (status, an unplug, a virtio-mem grow
/// and shrink), the source says it migrated away; an unplug whose controller died mid-prepare is cut by a migration
/// and recovered on the destination; a virtio-mem resize asked just before a migration is held by it and completes on
/// the destination. All sides share one state file and lock folder, as one host does.
/// </summary>
public sealed class MigrationScenarios(MigrationGuestVm vm) : IClassFixture<MigrationGuestVm>
{
    private const long M = 1L << 20;

    /// <summary>guest-agent-host on <paramref name="side"/>'s monitor and agent channel, with the source's state file and lock folder.</summary>
    private Task<HostControllerRun> HostOnAsync(TestVm side, params string[] arguments) =>
        HostControllerRun.RunWithAsync([.. side.HostArguments, "--state", vm.Vm.HostStateFile, "--lock-dir", vm.Vm.HostLockDirectory, .. arguments]);

    private static async Task<JsonNode> StatusOnAsync(Func<string[], Task<HostControllerRun>> host) => JsonNode.Parse((await host(["status", "--json"])).Check().Output)!;

    private static string Size(long bytes) => (bytes / M).ToString(CultureInfo.InvariantCulture) + "M";

    private static async Task<JsonNode> VirtioMemAsync(QmpTestClient qmp) =>
        (await qmp.ExecuteAsync("query-memory-devices"))!.AsArray().Single(d => d!["type"]!.GetValue<string>() == "virtio-mem")!["data"]!;

    private static async Task<string> RunStateAsync(QmpTestClient qmp) => (await qmp.ExecuteAsync("query-status"))!["status"]!.GetValue<string>();

    [Fact]
    public Task TheVmMovesWithItsMemoryAndTheDestinationIsAVmLikeAnyOther()
    {
        TestVm? now = null; // where the guest runs once it has moved (its log is read there if a step fails)
        return vm.WithGuestLogAsync(async () =>
        {
            using var timing = new ScenarioTimings("migration (bare QEMU): migrate, the destination works, a cut unplug recovered, a resize held");
            using var dir = new TestSupport.TemporaryDirectory();
            var source = vm.Vm;

            // On the source: two DIMMs, 256 MiB through virtio-mem, data in a tmpfs and in a process.
            (await vm.HostAsync("plug", "256M")).Check();
            (await vm.HostAsync("plug", "128M")).Check();
            var boot = (await vm.Qmp.ExecuteAsync("query-memory-size-summary"))!["base-memory"]!.GetValue<long>();
            (await vm.HostAsync("set-memory", Size(boot + (384 * M) + (256 * M)))).Check();
            await source.WaitInGuestAsync("! grep -q offline /sys/devices/system/memory/memory*/state", "every block online", TimeSpan.FromSeconds(60));
            await source.Shell.CheckAsync("dd if=/dev/urandom of=/tmp/data bs=1M count=64 2>/dev/null && sha256sum /tmp/data > /tmp/data.sum");
            await source.Shell.CheckAsync(
                "(setsid sh -c 'x=$(head -c 3000000 /dev/urandom | base64 -w0); echo \"$x\" | sha256sum > /tmp/proc.sum1; while [ ! -f /tmp/check ]; do sleep 0.2; done; echo \"$x\" | sha256sum > /tmp/proc.sum2' > /dev/null 2>&1 < /dev/null &)");
            await source.WaitInGuestAsync("test -s /tmp/proc.sum1", "the process holding its data", TimeSpan.FromSeconds(120));
            var memTotal = await vm.MemTotalKbAsync();
            var arguments = JsonNode.Parse((await vm.HostAsync("qemu-args", "--json")).Check().Output)!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            timing.Step("source ready: 2 DIMMs, 256 MiB of virtio-mem, data");

            // A destination started without the DIMMs is refused before anything starts; the source runs on.
            await using (var lacking = await TestVm.StartAsync(MigrationGuestVm.Options with { Incoming = "unix:" + Path.Combine(dir.Path, "lacking.sock") }))
            {
                var refused = await vm.HostAsync("migrate", "unix:" + Path.Combine(dir.Path, "lacking.sock"), "--destination-qmp", lacking.WatchQmpSocket);
                Assert.Equal(1, refused.Code);
                Assert.Contains("ga-dimm0 (256 MiB in slot 0) is missing there", refused.Error, StringComparison.Ordinal);
                Assert.Contains("nothing was started, the VM stays here", refused.Error, StringComparison.Ordinal);
                Assert.Equal("running", await RunStateAsync(vm.Qmp));
                Assert.Equal(0, (await source.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);
            }

            // migrate to a destination started with qemu-args' arguments; a change asked meanwhile is refused.
            var first = Path.Combine(dir.Path, "first.sock");
            await using var destination = await TestVm.StartAsync(MigrationGuestVm.Options with { ExtraQemuArguments = arguments, Incoming = "unix:" + first });
            await using var destinationQmp = await QmpTestClient.ConnectAsync(destination.QmpSocket);
            var lines = new ConcurrentQueue<string>();
            var errors = new ConcurrentQueue<string>();
            HostControllerRun meanwhile;
            var took = Stopwatch.StartNew();
            using (var migrate = HostControllerRun.Start(source, lines, errors, "migrate", "unix:" + first, "--destination-qmp", destination.WatchQmpSocket))
            {
                await WaitForLineAsync(lines, "migrating ", migrate);
                meanwhile = await HostControllerRun.RunWithAsync("--qmp", source.WatchQmpSocket, "--agent", source.AgentSocket, "--state", source.HostStateFile, "--lock-dir", source.HostLockDirectory, "plug", "128M");
                await migrate.WaitForExitAsync(TestContext.Current.CancellationToken);
                Assert.True(migrate.ExitCode == 0, string.Join('\n', lines.Concat(errors)));
            }

            var said = string.Join('\n', lines);
            timing.Step($"migrated in {took.Elapsed.TotalSeconds:0.0} s: {lines.FirstOrDefault(l => l.StartsWith("migrated to", StringComparison.Ordinal))}");
            Assert.Equal(1, meanwhile.Code);
            Assert.Contains($"(migrate to unix:{first}, since", meanwhile.Error, StringComparison.Ordinal);
            Assert.Contains("waits for this VM with the same memory devices", said, StringComparison.Ordinal);
            Assert.Matches(@"migrated to unix:\S+ in [\d.]+ s \(QEMU: total \d+ ms, downtime \d+ ms, ", said);
            Assert.Contains("the destination runs it", said, StringComparison.Ordinal);
            Assert.Equal(("postmigrate", "running"), (await RunStateAsync(vm.Qmp), await RunStateAsync(destinationQmp)));

            // The destination is a VM like any other: the guest's data, status, an unplug, a virtio-mem grow and shrink.
            await destination.AttachShellAsync();
            now = destination;
            Assert.Equal(0, (await destination.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);
            await destination.Shell.CheckAsync("touch /tmp/check");
            await destination.WaitInGuestAsync("test -s /tmp/proc.sum2", "the process's checksum again", TimeSpan.FromSeconds(60));
            Assert.Equal(await destination.Shell.CheckAsync("cat /tmp/proc.sum1"), await destination.Shell.CheckAsync("cat /tmp/proc.sum2"));
            var there = await StatusOnAsync(a => HostOnAsync(destination, a));
            Assert.StartsWith("arrived here by migration", there["migration"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(["ga-dimm0", "ga-dimm1"], there["dimms"]!.AsArray().Select(d => d!["id"]!.GetValue<string>()));
            Assert.All(there["dimms"]!.AsArray(), d => Assert.Equal("ready", d!["readiness"]!.GetValue<string>()));
            Assert.Equal((256 * M, 256 * M), (there["virtio-mem"]![0]!["size"]!.GetValue<long>(), there["virtio-mem"]![0]!["guest-plugged"]!.GetValue<long>()));
            Assert.StartsWith("to unix:" + first, there["last-migration"]!.GetValue<string>(), StringComparison.Ordinal);
            (await HostOnAsync(destination, "unplug", "ga-dimm1")).Check();
            Assert.Equal(memTotal - (128 * 1024), long.Parse((await destination.Shell.CheckAsync("awk '/MemTotal/ {print $2}' /proc/meminfo")).Trim(), CultureInfo.InvariantCulture));
            var current = boot + (256 * M) + (256 * M);
            (await HostOnAsync(destination, "set-memory", Size(current + (128 * M)))).Check();
            Assert.Equal(384 * M, (await VirtioMemAsync(destinationQmp))["size"]!.GetValue<long>());
            (await HostOnAsync(destination, "set-memory", Size(current))).Check();
            Assert.Equal(256 * M, (await VirtioMemAsync(destinationQmp))["size"]!.GetValue<long>());
            Assert.Equal(0, (await destination.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);
            timing.Step("the destination: status, unplug, virtio-mem grow and shrink");

            // The source says it migrated away, at once (its agent is not waited for).
            var left = await vm.HostAsync("status");
            Assert.Equal(0, left.Code);
            Assert.Contains("migration: migrated away (QEMU's run state postmigrate", left.Output, StringComparison.Ordinal);
            Assert.Contains("its agent answers on the destination", left.Output, StringComparison.Ordinal);

            // An unplug whose controller died while the guest prepared it, then a migration (someone else's): the
            // destination's controller finds it and rolls it back; nothing stays offline without an owner.
            await destination.Shell.CheckAsync("dd if=/dev/zero of=/tmp/fill bs=1M count=150 2>/dev/null");
            var second = Path.Combine(dir.Path, "second.sock");
            var destinationArguments = JsonNode.Parse((await HostOnAsync(destination, "qemu-args", "--json")).Check().Output)!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            await using var third = await TestVm.StartAsync(MigrationGuestVm.Options with { ExtraQemuArguments = destinationArguments, Incoming = "unix:" + second });
            await using var thirdQmp = await QmpTestClient.ConnectAsync(third.QmpSocket);
            lines.Clear();
            errors.Clear();
            using (var unplug = HostControllerRun.StartWith(lines, errors, [.. destination.HostArguments, "--state", vm.Vm.HostStateFile, "--lock-dir", vm.Vm.HostLockDirectory, "unplug", "ga-dimm0"]))
            {
                await WaitForStateAsync("\"Preparing\"", unplug, lines, errors);
                unplug.Kill();
                await unplug.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            await destinationQmp.ExecuteAsync("migrate", new Dictionary<string, object> { ["uri"] = "unix:" + second });
            await WaitForMigrationAsync(destinationQmp);
            await third.AttachShellAsync();
            now = third;
            var recovered = (await HostOnAsync(third, "status")).Check();
            timing.Step("a cut unplug recovered on the destination: " + recovered.Output.Split('\n').FirstOrDefault(l => l.Contains("ga-dimm0:", StringComparison.Ordinal))?.Trim());
            Assert.Contains("ga-dimm0: an interrupted unplug was rolled back; the DIMM stays", recovered.Output, StringComparison.Ordinal);
            await third.WaitInGuestAsync("! grep -q offline /sys/devices/system/memory/memory*/state", "no block left offline", TimeSpan.FromSeconds(60));
            await third.Shell.CheckAsync("rm -f /tmp/fill");

            // A virtio-mem resize asked just before a migration (someone else's) stands still while it runs: held, not a
            // stall; the VM leaving is said; the destination completes the request.
            var last = Path.Combine(dir.Path, "last.sock");
            var thirdArguments = JsonNode.Parse((await HostOnAsync(third, "qemu-args", "--json")).Check().Output)!.AsArray().Select(a => a!.GetValue<string>()).ToList();
            await using var fourth = await TestVm.StartAsync(MigrationGuestVm.Options with { ExtraQemuArguments = thirdArguments, Incoming = "unix:" + last });
            await using var fourthQmp = await QmpTestClient.ConnectAsync(fourth.QmpSocket);
            await thirdQmp.ExecuteAsync("migrate-set-parameters", new Dictionary<string, object> { ["max-bandwidth"] = 40L << 20 });
            var size = (await VirtioMemAsync(thirdQmp))["size"]!.GetValue<long>();
            var memoryNow = (await StatusOnAsync(a => HostOnAsync(third, a)))["current-memory"]!.GetValue<long>();
            lines.Clear();
            errors.Clear();
            using (var resize = HostControllerRun.StartWith(lines, errors, [.. third.HostArguments, "--state", vm.Vm.HostStateFile, "--lock-dir", vm.Vm.HostLockDirectory, "set-memory", Size(memoryNow + (512 * M))]))
            {
                await WaitForLineAsync(lines, "through virtio-mem", resize);
                await thirdQmp.ExecuteAsync("migrate", new Dictionary<string, object> { ["uri"] = "unix:" + last });
                await resize.WaitForExitAsync(TestContext.Current.CancellationToken);
            }

            await WaitForMigrationAsync(thirdQmp);
            var followed = string.Join('\n', lines.Concat(errors));
            Assert.Contains("held by a migration", followed, StringComparison.Ordinal);
            Assert.Contains("the VM migrated away during the resize of virtio-mem vm0", followed, StringComparison.Ordinal);
            Assert.DoesNotContain("did not move for", followed, StringComparison.Ordinal);
            var wanted = size + (512 * M);
            var watch = Stopwatch.StartNew();
            while ((await VirtioMemAsync(fourthQmp))["size"]!.GetValue<long>() != wanted)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"the destination never reached the request: {(await VirtioMemAsync(fourthQmp)).ToJsonString()}");
                await Task.Delay(250);
            }

            timing.Step($"a resize held by a migration, completed on the destination {watch.Elapsed.TotalSeconds:0.0} s after it");
            await fourth.AttachShellAsync();
            now = fourth;
            Assert.Equal(0, (await fourth.Shell.RunAsync("sha256sum -c /tmp/data.sum")).Code);
        }, () => now);
    }

    private static async Task WaitForLineAsync(ConcurrentQueue<string> lines, string start, Process process)
    {
        var watch = Stopwatch.StartNew();
        while (!lines.Any(l => l.Contains(start, StringComparison.Ordinal)))
        {
            Assert.False(process.HasExited, $"the controller ended before saying '{start}': {string.Join('\n', lines)}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(120), $"the controller never said '{start}'");
            await Task.Delay(10);
        }
    }

    private async Task WaitForStateAsync(string operation, Process controller, ConcurrentQueue<string> lines, ConcurrentQueue<string> errors)
    {
        var watch = Stopwatch.StartNew();
        while (!(File.Exists(vm.Vm.HostStateFile) && (await File.ReadAllTextAsync(vm.Vm.HostStateFile)).Contains(operation, StringComparison.Ordinal)))
        {
            Assert.False(controller.HasExited, $"the controller ended before the state file said {operation}: {string.Join('\n', lines.Concat(errors))}");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"the state file never said {operation}");
            await Task.Delay(2);
        }
    }

    private static async Task WaitForMigrationAsync(QmpTestClient qmp)
    {
        var watch = Stopwatch.StartNew();
        while ((await qmp.ExecuteAsync("query-migrate"))!["status"]?.GetValue<string>() is not "completed")
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(180), "the migration did not complete");
            await Task.Delay(200);
        }
    }
}
