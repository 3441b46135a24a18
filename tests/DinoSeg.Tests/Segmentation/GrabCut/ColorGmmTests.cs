using System.Runtime.Intrinsics;
using DinoSeg.GrabCut;

namespace DinoSeg.Tests.Segmentation.GrabCut;

public sealed class ColorGmmTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NegativeLog_FourLanes_MatchesTheScalarForm(int seed)
    {
        // Arrange: five components from clustered random colours; component 4 left empty in one case (−∞ constant).
        var random = new Random(seed);
        var model = new ColorGmm();
        model.BeginLearning();
        int used = seed == 3 ? ColorGmm.Components - 1 : ColorGmm.Components;
        for (int k = 0; k < used; k++)
        {
            int cr = random.Next(256), cg = random.Next(256), cb = random.Next(256), spread = 1 + random.Next(40);
            for (int i = 0; i < 200; i++)
            {
                model.Add(k, Clamp(cr + random.Next(-spread, spread + 1)), Clamp(cg + random.Next(-spread, spread + 1)), Clamp(cb + random.Next(-spread, spread + 1)));
            }
        }

        Assert.True(model.EndLearning());

        // Act + Assert: colours near and far from every component, four at a time.
        for (int i = 0; i < 500; i++)
        {
            double[] r = [.. Enumerable.Range(0, 4).Select(_ => (double)random.Next(256))];
            double[] g = [.. Enumerable.Range(0, 4).Select(_ => (double)random.Next(256))];
            double[] b = [.. Enumerable.Range(0, 4).Select(_ => (double)random.Next(256))];
            Vector256<double> lanes = model.NegativeLog(Vector256.Create(r), Vector256.Create(g), Vector256.Create(b));
            for (int lane = 0; lane < 4; lane++)
            {
                double expected = model.NegativeLog(r[lane], g[lane], b[lane]);
                Assert.True(double.IsFinite(expected), $"the scalar form gave {expected}");
                Assert.Equal(expected, lanes.GetElement(lane), Math.Max(1e-9, Math.Abs(expected) * 1e-12));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MostLikely_FourLanes_EqualsTheScalarForm(int seed)
    {
        // Arrange: as above; seed 3 leaves component 4 empty. Near-equal components (small spreads, close centres) make
        // near-ties, where any change of the arithmetic's order would show.
        var random = new Random(seed);
        var model = new ColorGmm();
        model.BeginLearning();
        int used = seed == 3 ? ColorGmm.Components - 1 : ColorGmm.Components;
        int baseR = random.Next(200), baseG = random.Next(200), baseB = random.Next(200);
        for (int k = 0; k < used; k++)
        {
            int cr = baseR + random.Next(40), cg = baseG + random.Next(40), cb = baseB + random.Next(40), spread = 1 + random.Next(20);
            for (int i = 0; i < 200; i++)
            {
                model.Add(k, Clamp(cr + random.Next(-spread, spread + 1)), Clamp(cg + random.Next(-spread, spread + 1)), Clamp(cb + random.Next(-spread, spread + 1)));
            }
        }

        Assert.True(model.EndLearning());

        // Act + Assert: bin-mean-like fractional colours and whole ones, four at a time.
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++)
        {
            double[] r = [.. Enumerable.Range(0, 4).Select(_ => baseR + random.NextDouble() * 60)];
            double[] g = [.. Enumerable.Range(0, 4).Select(_ => (double)(baseG + random.Next(60)))];
            double[] b = [.. Enumerable.Range(0, 4).Select(_ => baseB + random.NextDouble() * 60)];
            Vector256<long> lanes = model.MostLikely(Vector256.Create(r), Vector256.Create(g), Vector256.Create(b));
            for (int lane = 0; lane < 4; lane++)
            {
                int expected = model.MostLikely(r[lane], g[lane], b[lane]);
                Assert.Equal(expected, lanes.GetElement(lane));
                seen.Add(expected);
            }
        }

        Assert.True(seen.Count > 1, "the colours should fall to more than one component");
    }

    private static int Clamp(int v) => Math.Clamp(v, 0, 255);
}
