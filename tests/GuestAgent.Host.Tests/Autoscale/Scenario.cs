using GuestAgent.Host.Autoscale;
using GuestAgent.Host.Hypervisor;

namespace GuestAgent.Host.Tests.Autoscale;

/// <summary>Inputs for the policy: a 1 GiB VM resized by 128 MiB DIMMs (or a virtio-mem device), min 1 GiB, max 3 GiB, reports once a second.</summary>
internal static class Scenario
{
    public const long M = 1L << 20;

    public const long G = 1L << 30;

    public static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    public static AutoscaleLimits Limits => new() { Min = G, Max = 3 * G };

    public static VmShape Dimms(long current = G, params (string Id, long Size, bool Known)[] dimms) => new()
    {
        Boot = G,
        Current = current,
        Granularity = 128 * M,
        Room = 8 * G - current,
        Dimms = dimms.Select(d => new VmDevice(d.Id, d.Size, d.Known ? "slot-" + d.Id : null)).ToList(),
    };

    public static VmShape VirtioMem(long plugged, long max = 2 * G) => new()
    {
        Boot = G,
        Current = G + plugged,
        Granularity = 128 * M,
        VirtioMem = new VmDevice("vm0", plugged, "virtio-mem@0x140000000"),
        Room = max - plugged,
    };

    /// <summary>One report per second for <paramref name="seconds"/> up to <paramref name="now"/>, with the available memory each gives.</summary>
    public static IReadOnlyList<GuestSample> Reports(DateTimeOffset now, int seconds, long total, Func<int, long> available, double? psi = 0, IReadOnlyDictionary<string, long>? canGo = null, long? headroom = null) =>
        Enumerable.Range(0, seconds).Select(i => new GuestSample
        {
            Time = now - TimeSpan.FromSeconds(seconds - 1 - i),
            Total = total,
            Available = available(i),
            PressureSome = psi,
            PressureFull = psi / 2,
            CanGo = canGo ?? new Dictionary<string, long>(),
            Headroom = headroom,
        }).ToList();

    public static AutoscaleInput Input(IReadOnlyList<GuestSample> samples, VmShape? vm, DateTimeOffset? now = null, AutoscaleLimits? limits = null) => new()
    {
        Limits = limits ?? Limits,
        Now = now ?? (samples.Count > 0 ? samples[^1].Time : Start),
        Samples = samples,
        Vm = vm,
        Migration = MigrationPhase.None,
    };
}
