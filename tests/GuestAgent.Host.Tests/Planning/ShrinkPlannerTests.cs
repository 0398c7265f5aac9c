using GuestAgent.Host.Planning;

namespace GuestAgent.Host.Tests.Planning;

public sealed class ShrinkPlannerTests
{
    private const long M = 1L << 20;

    [Fact]
    public void TheOvirtExampleReleasesOne256AndOne128()
    {
        // 1 GiB boot + 256, 256, 128, 128 MiB = 1792 MiB, asked 1400 MiB: a decrease of 392 MiB.
        UnplugCandidate[] dimms = [new("a", 256 * M, 0), new("b", 256 * M, 1), new("c", 128 * M, 2), new("d", 128 * M, 3)];

        var chosen = ShrinkPlanner.Choose(dimms, (1792 - 1400) * M);

        Assert.Equal([256 * M, 128 * M], chosen.Select(c => c.Size));
        Assert.Equal(1408 * M, 1792 * M - chosen.Sum(c => c.Size));
        Assert.Equal(["b", "d"], chosen.Select(c => c.Id)); // the newest of equals
    }

    [Fact]
    public void FindsTheBestFitWhereGreedyDoesNot()
    {
        // Greedy largest-first takes 512 and then nothing fits (512 of 768); 384 + 384 fits exactly.
        UnplugCandidate[] dimms = [new("big", 512 * M, 0), new("x", 384 * M, 1), new("y", 384 * M, 2)];

        var chosen = ShrinkPlanner.Choose(dimms, 768 * M);

        Assert.Equal(768 * M, chosen.Sum(c => c.Size));
        Assert.DoesNotContain(chosen, c => c.Id == "big");
    }

    [Fact]
    public void NeverExceedsTheDecreaseAndSkipsWhatIsTooLarge()
    {
        UnplugCandidate[] dimms = [new("a", 1024 * M, 0), new("b", 256 * M, 1)];

        Assert.Equal(["b"], ShrinkPlanner.Choose(dimms, 1000 * M).Select(c => c.Id));
        Assert.Empty(ShrinkPlanner.Choose(dimms, 100 * M));
        Assert.Empty(ShrinkPlanner.Choose([], 1000 * M));
    }

    [Fact]
    public void IsOptimalOnRandomSets()
    {
        var random = new Random(7);
        for (var round = 0; round < 300; round++)
        {
            var dimms = Enumerable.Range(0, random.Next(1, 9)).Select(i => new UnplugCandidate($"d{i}", random.Next(1, 9) * 128 * M, i)).ToList();
            var decrease = random.Next(0, 40) * 64 * M;

            var chosen = ShrinkPlanner.Choose(dimms, decrease);

            var best = 0L;
            for (var mask = 0; mask < 1 << dimms.Count; mask++)
            {
                var sum = dimms.Where((_, i) => (mask & (1 << i)) != 0).Sum(d => d.Size);
                if (sum <= decrease)
                {
                    best = Math.Max(best, sum);
                }
            }

            Assert.Equal(best, chosen.Sum(c => c.Size));
            Assert.Equal(chosen.Count, chosen.Distinct().Count());
        }
    }
}
