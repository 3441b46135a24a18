using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Features;

public sealed class MultiScaleTests
{
    private static PatchFeatures Grid(int rows, int cols, Func<int, int, float[]> vector, int size = 64)
    {
        int dim = vector(0, 0).Length;
        var raw = new float[rows * cols * dim];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) vector(r, c).CopyTo(raw, (r * cols + c) * dim);
        }

        return PatchFeatures.FromVectors(raw, rows, cols, dim, size / cols, size, size, size, size, "test");
    }

    [Fact]
    public void Fuse_SameGridTwice_GivesTheSameFeatures()
    {
        var random = new Random(42);
        PatchFeatures f = Grid(4, 4, (_, _) => [(float)random.NextDouble(), (float)random.NextDouble() - 0.5f, 1]);

        PatchFeatures fused = MultiScaleExtractor.Fuse([f, f]);

        Assert.Equal((4, 4, 3), (fused.Rows, fused.Cols, fused.Dim));
        for (int i = 0; i < f.Vectors.Length; i++) Assert.Equal(f.Vectors[i], fused.Vectors[i], 5);
    }

    [Fact]
    public void Fuse_CoarseOntoFine_BilinearAtPatchCentresThenMeanOfUnitVectors()
    {
        // Coarse 2x2: left column e0, right column e1. Fine 4x4 all e2.
        PatchFeatures coarse = Grid(2, 2, (_, c) => c == 0 ? [1, 0, 0] : [0, 1, 0]);
        PatchFeatures fine = Grid(4, 4, (_, _) => [0, 0, 1]);

        PatchFeatures fused = MultiScaleExtractor.Fuse([coarse, fine]);

        Assert.Equal((4, 4), (fused.Rows, fused.Cols));
        // Fine column 1's centre is at coarse x = (1.5)·2/4 − 0.5 = 0.25: blend 0.75·e0 + 0.25·e1, normalised, plus e2.
        float n = MathF.Sqrt(0.75f * 0.75f + 0.25f * 0.25f);
        float[] expected = [0.75f / n, 0.25f / n, 1];
        float norm = MathF.Sqrt(expected.Sum(v => v * v));
        ReadOnlySpan<float> got = fused.GetPatch(2, 1);
        for (int k = 0; k < 3; k++) Assert.Equal(expected[k] / norm, got[k], 5);
        // Column 0's centre lies left of the coarse first centre: clamped to pure e0.
        Assert.Equal(1 / MathF.Sqrt(2), fused.GetPatch(0, 0)[0], 5);
        Assert.Equal(0, fused.GetPatch(0, 0)[1], 5);
    }

    [Fact]
    public void Fuse_MismatchedImages_Throw()
    {
        PatchFeatures a = Grid(2, 2, (_, _) => [1, 0]);
        PatchFeatures b = Grid(2, 2, (_, _) => [1, 0, 0]);
        Assert.Throws<ArgumentException>("scales", () => MultiScaleExtractor.Fuse([a, b]));
        Assert.Throws<ArgumentException>("scales", () => MultiScaleExtractor.Fuse([]));
    }

    [Fact]
    public void CreateDefault_TwoScalesOnAPhoto_GivesTheFinerGridUnitVectors()
    {
        using MultiScaleExtractor extractor = MultiScaleExtractor.CreateDefault([256, 384], new ExtractorOptions { Device = ExecutionDevice.Cpu });
        using var image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));

        PatchFeatures f = extractor.Extract(image);

        Assert.Equal((16, 24), (f.Rows, f.Cols)); // 384 px long side: 24 columns; 451x300 → 16 rows
        Assert.Equal(896, f.Dim); // layers 2, 3 and 4 fused: 128 + 256 + 512
        Assert.Equal(Backbone.ResNet18.Name, f.Backbone);
        for (int p = 0; p < f.PatchCount; p += 37)
        {
            Assert.Equal(1, System.Numerics.Tensors.TensorPrimitives.Norm(f.Vectors.Slice(p * f.Dim, f.Dim)), 4);
        }
    }

    [Fact]
    public void Constructor_OneScale_Throws()
    {
        Assert.Throws<ArgumentException>("scales", () => new MultiScaleExtractor([EmbeddedBackbone.Extractor], ownsScales: false));
    }

    [Fact]
    public void Create_PassesEachLongSide_AndDisposesWhatItMadeWhenOneFails()
    {
        var made = new List<CountingExtractor>();
        int?[] seen = new int?[3];

        var e = Assert.Throws<InvalidOperationException>(() => MultiScaleExtractor.Create([256, 384, 512], o =>
        {
            seen[made.Count] = o.LongSide;
            if (made.Count == 2) throw new InvalidOperationException("third scale fails");
            var x = new CountingExtractor();
            made.Add(x);
            return x;
        }, new ExtractorOptions { Device = ExecutionDevice.Cpu }));

        Assert.Equal("third scale fails", e.Message);
        Assert.Equal([256, 384, 512], seen);
        Assert.All(made, x => Assert.Equal(1, x.Disposed));
    }

    private sealed class CountingExtractor : IFeatureExtractor
    {
        public int Disposed { get; private set; }

        public Backbone Backbone => Backbone.ResNet18;

        public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void Dispose() => Disposed++;
    }
}
