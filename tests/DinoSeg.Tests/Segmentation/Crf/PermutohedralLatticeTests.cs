using DinoSeg.Crf;

namespace DinoSeg.Tests.Segmentation.Crf;

public sealed class PermutohedralLatticeTests
{
    /// <summary>
    /// A small image of a few flat colour regions with noise, as (x/θα, y/θα, rgb/θβ) points, and random values in [0, 1].
    /// </summary>
    private static (float[] Points, float[] Values) RandomImage(int width, int height, double spatial, double color, int seed)
    {
        var random = new Random(seed);
        var centres = new (int X, int Y, int R, int G, int B)[4];
        for (int i = 0; i < centres.Length; i++) centres[i] = (random.Next(width), random.Next(height), random.Next(256), random.Next(256), random.Next(256));
        var points = new float[PermutohedralLattice.Dimension * width * height];
        var values = new float[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                // The nearest centre's colour (a Voronoi picture: regions with edges), plus noise.
                var c = centres.MinBy(c => (c.X - x) * (c.X - x) + (c.Y - y) * (c.Y - y));
                int p = y * width + x, at = PermutohedralLattice.Dimension * p;
                points[at] = (float)(x / spatial);
                points[at + 1] = (float)(y / spatial);
                points[at + 2] = (float)(Math.Clamp(c.R + random.Next(-10, 11), 0, 255) / color);
                points[at + 3] = (float)(Math.Clamp(c.G + random.Next(-10, 11), 0, 255) / color);
                points[at + 4] = (float)(Math.Clamp(c.B + random.Next(-10, 11), 0, 255) / color);
                values[p] = (float)((Array.IndexOf(centres, c) % 2 == 0 ? 0.8 : 0) + 0.2 * random.NextDouble());
            }
        }

        return (points, values);
    }

    /// <summary>Σⱼ exp(−‖fᵢ − fⱼ‖²·scale² / 2)·vⱼ / Σⱼ exp(…), every pair written out, in double precision.</summary>
    private static double[] DirectMeans(float[] points, float[] values, double scale)
    {
        int n = values.Length, d = PermutohedralLattice.Dimension;
        var means = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0, weight = 0;
            for (int j = 0; j < n; j++)
            {
                double distance = 0;
                for (int k = 0; k < d; k++)
                {
                    double delta = (points[i * d + k] - (double)points[j * d + k]) * scale;
                    distance += delta * delta;
                }

                double w = Math.Exp(-distance / 2);
                sum += w * values[j];
                weight += w;
            }

            means[i] = sum / weight;
        }

        return means;
    }

    private static double[] LatticeMeans(float[] points, float[] values)
    {
        PermutohedralLattice lattice = PermutohedralLattice.Build(points);
        var ones = new float[values.Length];
        Array.Fill(ones, 1f);
        var filtered = new float[values.Length];
        var normaliser = new float[values.Length];
        var scratch = new float[2 * lattice.Vertices];
        lattice.Filter(values, filtered, scratch);
        lattice.Filter(ones, normaliser, scratch);
        return [.. filtered.Zip(normaliser, (f, z) => (double)f / z)];
    }

    // The lattice's kernel is a piecewise-linear stand-in for the Gaussian (Adams et al. report errors of a few per cent), so
    // the means are compared on average and at worst: a tenth of the mean error a kernel of twice or half the width gives.
    private const double MeanTolerance = 0.008, MaxTolerance = 0.15;

    [Theory]
    [InlineData(24, 20, 4.0, 20.0, 1)]
    [InlineData(28, 24, 3.0, 30.0, 2)]
    [InlineData(19, 31, 2.0, 40.0, 3)]
    [InlineData(40, 8, 1.0, 80.0, 4)]
    public void Filter_SmallRandomImages_MatchesTheDirectGaussianMeans(int width, int height, double spatial, double color, int seed)
    {
        var (points, values) = RandomImage(width, height, spatial, color, seed);

        double[] lattice = LatticeMeans(points, values);
        double[] direct = DirectMeans(points, values, 1.0);

        Assert.True(MeanAbsolute(lattice, direct) <= MeanTolerance, $"mean error {MeanAbsolute(lattice, direct):0.0000}");
        Assert.True(MaxAbsolute(lattice, direct) <= MaxTolerance, $"largest error {MaxAbsolute(lattice, direct):0.000}");
        // The comparison resolves the kernel's width: the means of a kernel twice as wide, or half as wide, are out of tolerance.
        double wider = MeanAbsolute(lattice, DirectMeans(points, values, 0.5)), narrower = MeanAbsolute(lattice, DirectMeans(points, values, 2.0));
        Assert.True(wider > 2 * MeanTolerance && narrower > MeanTolerance, $"error against a kernel twice as wide {wider:0.0000}, half as wide {narrower:0.0000}");
    }

    [Fact]
    public void Filter_OneRegionOfOneColour_IsTheMeanOfItsValues()
    {
        // Far-apart colours do not mix: two flat regions, each filtered to (nearly) its own mean.
        var points = new float[PermutohedralLattice.Dimension * 64];
        var values = new float[64];
        for (int p = 0; p < 64; p++)
        {
            int at = PermutohedralLattice.Dimension * p;
            bool left = p % 8 < 4;
            (points[at], points[at + 1]) = (p % 8 * 0.01f, p / 8 * 0.01f);
            points[at + 2] = left ? 0 : 50;
            values[p] = left ? p % 2 : 0.25f;
        }

        double[] means = LatticeMeans(points, values);

        Assert.All(means.Where((_, p) => p % 8 < 4), m => Assert.Equal(0.5, m, 0.02));
        Assert.All(means.Where((_, p) => p % 8 >= 4), m => Assert.Equal(0.25, m, 1e-5));
    }

    [Fact]
    public void Build_CoordinatesOutOfRange_Throws()
    {
        Assert.Throws<ArgumentException>("points", () => PermutohedralLattice.Build(new float[7]));
        Assert.Throws<ArgumentException>("points", () => PermutohedralLattice.Build([0, 0, float.NaN, 0, 0]));
        Assert.Throws<ArgumentException>("points", () => PermutohedralLattice.Build([0, 0, 2 * PermutohedralLattice.MaxCoordinate, 0, 0]));
    }

    private static double MeanAbsolute(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Average();

    private static double MaxAbsolute(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
