using DinoSeg.Kernels;

namespace DinoSeg.Tests.Kernels;

public sealed class GuidedFilterTests
{
    /// <summary>Direct clipped-window mean in double: the definition, O(r²) per pixel.</summary>
    private static double[] BoxReference(float[] src, int w, int h, int r)
    {
        var dst = new double[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                int n = 0;
                for (int v = Math.Max(0, y - r); v <= Math.Min(h - 1, y + r); v++)
                {
                    for (int u = Math.Max(0, x - r); u <= Math.Min(w - 1, x + r); u++)
                    {
                        sum += src[v * w + u];
                        n++;
                    }
                }

                dst[y * w + x] = sum / n;
            }
        }

        return dst;
    }

    /// <summary>He et al.'s algorithm 1 in double with the direct box mean.</summary>
    private static double[] GuidedReference(float[] I, float[] p, int w, int h, int r, double eps)
    {
        double[] Box(double[] a) => BoxReference(Array.ConvertAll(a, v => (float)v), w, h, r);
        double[] id = Array.ConvertAll(I, v => (double)v), pd = Array.ConvertAll(p, v => (double)v);
        double[] meanI = Box(id), meanP = Box(pd);
        double[] corrI = Box(id.Select(v => v * v).ToArray()), corrIp = Box(id.Zip(pd, (a, b) => a * b).ToArray());
        var a = new double[w * h];
        var b = new double[w * h];
        for (int i = 0; i < a.Length; i++)
        {
            double varI = Math.Max(0, corrI[i] - meanI[i] * meanI[i]);
            a[i] = (corrIp[i] - meanI[i] * meanP[i]) / (varI + eps);
            b[i] = meanP[i] - a[i] * meanI[i];
        }

        double[] meanA = Box(a), meanB = Box(b);
        return Enumerable.Range(0, a.Length).Select(i => meanA[i] * id[i] + meanB[i]).ToArray();
    }

    private static float[] Random(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(1, 1, 3)]
    [InlineData(7, 1, 2)]
    [InlineData(1, 9, 2)]
    [InlineData(17, 13, 0)]
    [InlineData(17, 13, 1)]
    [InlineData(17, 13, 4)]
    [InlineData(33, 20, 40)]
    public void BoxMean_MatchesTheDefinition(int w, int h, int r)
    {
        float[] src = Random(new Random(42), w * h);
        var dst = new float[w * h];

        BoxFilter.Mean(src, w, h, r, dst, new float[w * h + w]);

        double[] expected = BoxReference(src, w, h, r);
        for (int i = 0; i < dst.Length; i++) Assert.Equal(expected[i], dst[i], 1e-5);
    }

    [Theory]
    [InlineData(19, 11, 1, 0.01)]
    [InlineData(40, 23, 4, 0.001)]
    [InlineData(40, 23, 8, 0.1)]
    public void Guided_MatchesTheReference(int w, int h, int r, double eps)
    {
        var random = new Random(42);
        float[] I = Random(random, w * h), p = Random(random, w * h);
        var mean = new float[w * h];
        var variance = new float[w * h];
        GuidedFilter.GuideStatistics(I, w, h, r, mean, variance, new float[2 * w * h + w]);
        var q = new float[w * h];

        GuidedFilter.Apply(I, mean, variance, p, w, h, r, (float)eps, q, new float[GuidedFilter.ScratchLength(w, h)]);

        double[] expected = GuidedReference(I, p, w, h, r, eps);
        for (int i = 0; i < q.Length; i++) Assert.Equal(expected[i], q[i], 1e-3);
    }

    [Fact]
    public void Guided_InPlace_EqualsOutOfPlace()
    {
        var random = new Random(7);
        const int w = 30, h = 20, r = 3;
        float[] I = Random(random, w * h), p = Random(random, w * h);
        var mean = new float[w * h];
        var variance = new float[w * h];
        GuidedFilter.GuideStatistics(I, w, h, r, mean, variance, new float[2 * w * h + w]);
        var scratch = new float[GuidedFilter.ScratchLength(w, h)];
        var q = new float[w * h];

        GuidedFilter.Apply(I, mean, variance, p, w, h, r, 0.01f, q, scratch);
        GuidedFilter.Apply(I, mean, variance, p, w, h, r, 0.01f, p, scratch);

        Assert.Equal(q, p);
    }

    [Fact]
    public void Guided_BlurredStepUnderASharpGuide_BecomesSharpAtTheGuideEdge()
    {
        // p ramps from 0 to 1 over x in [24, 40); the guide steps from 0 to 1 at x = 30: q should step near x = 30.
        const int w = 64, h = 8, r = 8;
        var I = new float[w * h];
        var p = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                I[y * w + x] = x >= 30 ? 1 : 0;
                p[y * w + x] = Math.Clamp((x - 24) / 16f, 0, 1);
            }
        }

        var mean = new float[w * h];
        var variance = new float[w * h];
        GuidedFilter.GuideStatistics(I, w, h, r, mean, variance, new float[2 * w * h + w]);
        var q = new float[w * h];
        GuidedFilter.Apply(I, mean, variance, p, w, h, r, 1e-4f, q, new float[GuidedFilter.ScratchLength(w, h)]);

        int row = 4 * w;
        Assert.True(q[row + 31] - q[row + 28] > p[row + 31] - p[row + 28] + 0.3f, "the jump across the guide edge grows");
        Assert.True(Math.Abs(q[row + 29] - q[row + 26]) < 0.1f, "left of the edge stays flat");
    }

    [Fact]
    public void Guided_BadArguments_Throw()
    {
        var a = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>("epsilon", () => GuidedFilter.Apply(a, a, a, a, 4, 3, 1, 0f, a, new float[100]));
        Assert.Throws<ArgumentException>("scratch", () => GuidedFilter.Apply(a, a, a, a, 4, 3, 1, 0.1f, new float[12], new float[10]));
        Assert.Throws<ArgumentException>("destination", () => BoxFilter.Mean(a, 4, 3, 1, new float[11], new float[16]));
    }
}
