using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace DinoSeg.Tests.Segmentation;

public sealed class MaskPropagatorTests(ITestOutputHelper output)
{
    private const int Rows = 12, Cols = 16, Dim = 256, Patch = 16;

    /// <summary>Random unit vectors per patch; <paramref name="shift"/> columns to the right of a base frame (new columns random).</summary>
    private static PatchFeatures Frame(int shift, int seed = 1)
    {
        var random = new Random(seed);
        var baseFrame = new float[Rows * Cols * Dim];
        for (int i = 0; i < baseFrame.Length; i++) baseFrame[i] = (float)(random.NextDouble() * 2 - 1);
        var fresh = new Random(seed + 1000);
        var raw = new float[baseFrame.Length];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                Span<float> dst = raw.AsSpan((r * Cols + c) * Dim, Dim);
                if (c - shift is >= 0 and < Cols) baseFrame.AsSpan((r * Cols + c - shift) * Dim, Dim).CopyTo(dst);
                else for (int d = 0; d < Dim; d++) dst[d] = (float)(fresh.NextDouble() * 2 - 1);
            }
        }

        return PatchFeatures.FromVectors(raw, Rows, Cols, Dim, Patch, Cols * Patch, Rows * Patch, Cols * Patch, Rows * Patch, "synthetic");
    }

    private static float[] Block(int r0, int r1, int c0, int c1)
    {
        var labels = new float[Rows * Cols];
        for (int r = r0; r < r1; r++) for (int c = c0; c < c1; c++) labels[r * Cols + c] = 1;
        return labels;
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(5, 3)]
    [InlineData(5, -2)]
    [InlineData(20, 4)]
    public void Propagate_ShiftedCopies_MaskMovesWithTheFeatures(int topK, int shift)
    {
        PatchFeatures previous = Frame(0), next = Frame(shift);
        float[] labels = Block(3, 7, 5, 10);
        var propagator = new MaskPropagator(PropagationOptions.Default with { TopK = topK });

        PropagationResult result = propagator.Propagate(previous, labels, next);

        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < Cols; c++)
            {
                // Columns that entered the frame have no true match; their votes go to look-alikes anywhere.
                if (c - shift is < 0 or >= Cols) continue;
                bool expected = r is >= 3 and < 7 && c - shift is >= 5 and < 10;
                float label = result.PatchLabels[r * Cols + c];
                Assert.True(expected ? label > 0.98f : label < 0.02f, $"patch ({r},{c}): label {label}, expected {(expected ? 1 : 0)}");
                // The patch centre in the pixel mask agrees (smoothing σ 4 px cannot reach across half a 16-px patch).
                byte pixel = result.Mask[(r * Patch + Patch / 2) * result.Width + c * Patch + Patch / 2];
                Assert.Equal(expected ? 255 : 0, pixel);
            }
        }

        Assert.Equal(result.SelectedPixels, result.Mask.ToArray().Count(b => b == 255));
    }

    [Fact]
    public void Propagate_RadiusZeroAndOneVote_CopiesEachPatchsOwnLabel()
    {
        // With no search room the only candidate is the co-located patch, whatever the features say.
        PatchFeatures previous = Frame(0), next = Frame(6, seed: 9);
        float[] labels = Block(2, 9, 1, 4);
        var propagator = new MaskPropagator(PropagationOptions.Default with { TopK = 1, Radius = 0 });

        PropagationResult result = propagator.Propagate(previous, labels, next);

        Assert.Equal(labels, result.PatchLabels.ToArray());
        // Reusing the result for the next frame gives the same as a fresh one.
        propagator.Propagate(previous, Block(0, 2, 0, 2), next, result);
        Assert.Equal(Block(0, 2, 0, 2), result.PatchLabels.ToArray());
    }

    [Fact]
    public void Propagate_MotionBeyondTheRadius_IsNotFollowed_ButWholeFrameSearchFollowsIt()
    {
        PatchFeatures previous = Frame(0), next = Frame(5);
        float[] labels = Block(3, 7, 5, 10);

        PropagationResult near = new MaskPropagator(PropagationOptions.Default with { Radius = 2 }).Propagate(previous, labels, next);
        PropagationResult whole = new MaskPropagator(PropagationOptions.Default with { Radius = null }).Propagate(previous, labels, next);

        // Patch (4, 12) came from (4, 7), inside the block, five columns away.
        Assert.True(whole.PatchLabels[4 * Cols + 12] > 0.99f);
        Assert.True(near.PatchLabels[4 * Cols + 12] < 0.5f);
    }

    [Fact]
    public void Propagate_FromPixelMask_EqualsPropagatingItsPatchCoverage()
    {
        PatchFeatures previous = Frame(0), next = Frame(2);
        var mask = new byte[previous.ImageWidth * previous.ImageHeight];
        for (int y = 40; y < 120; y++) for (int x = 70; x < 150; x++) mask[y * previous.ImageWidth + x] = 255;
        var coverage = new float[previous.PatchCount];
        MaskPropagator.PatchLabelsFromMask(mask, previous.Grid, coverage);
        var propagator = new MaskPropagator();

        PropagationResult fromMask = propagator.Propagate(previous, mask, next);
        PropagationResult fromLabels = propagator.Propagate(previous, coverage, next);

        Assert.Equal(0.3125f, coverage[2 * Cols + 4]); // rows 32–47 (y ≥ 40: 8 of 16) × cols 64–79 (x ≥ 70: 10 of 16)
        Assert.True(fromMask.Mask.SequenceEqual(fromLabels.Mask));
        Assert.True(fromMask.PatchLabels.SequenceEqual(fromLabels.PatchLabels));
    }

    [Fact]
    public void PatchLabelsFromMask_IsTheFractionOfSetPixels()
    {
        var grid = new PatchGrid(4, 2, 32, 16, 16); // 2 patches, each 2x2 pixels of the original
        byte[] mask = [255, 0, 1, 1, 0, 0, 7, 0];
        var labels = new float[2];

        MaskPropagator.PatchLabelsFromMask(mask, grid, labels);

        Assert.Equal([0.25f, 0.75f], labels);
    }

    [Fact]
    public void Propagate_BadArguments_Throw()
    {
        PatchFeatures a = Frame(0);
        var other = PatchFeatures.FromVectors(Enumerable.Repeat(1f, Rows * Cols * 8).ToArray(), Rows, Cols, 8, Patch, Cols * Patch, Rows * Patch, Cols * Patch, Rows * Patch, "synthetic");
        var propagator = new MaskPropagator();
        float[] labels = new float[a.PatchCount];

        Assert.Throws<ArgumentException>(() => propagator.Propagate(a, labels, other));
        Assert.Throws<ArgumentException>(() => propagator.Propagate(a, new float[3], a));
        Assert.Throws<ArgumentException>(() => propagator.Propagate(a, Enumerable.Repeat(2f, a.PatchCount).ToArray(), a));
        Assert.Throws<ArgumentException>(() => propagator.Propagate(a, new byte[5], a));
        PatchFeatures smaller = PatchFeatures.FromVectors(new float[2 * 2 * Dim], 2, 2, Dim, Patch, 2 * Patch, 2 * Patch, 2 * Patch, 2 * Patch, "synthetic");
        Assert.Throws<ArgumentException>(() => propagator.Propagate(a, labels, a, new PropagationResult(smaller)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskPropagator(PropagationOptions.Default with { TopK = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskPropagator(PropagationOptions.Default with { Temperature = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskPropagator(PropagationOptions.Default with { Radius = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaskPropagator(PropagationOptions.Default with { Threshold = 1.5f }));
    }

    [Fact]
    public void Propagate_RealPhotoShiftedByACrop_MatchesTheShiftedMask()
    {
        // Frame 2 is frame 1 cropped by (dx, dy): the scene moves up-left, as in a panning camera.
        const int dx = 40, dy = 24;
        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        using Image<Rgb24> first = ImageDecoder.Load(TestPaths.Image("chelsea.png"));
        using Image<Rgb24> second = first.Clone(c => c.Crop(new Rectangle(dx, dy, first.Width - dx, first.Height - dy)));
        PatchFeatures f1 = dino.Extract(first), f2 = dino.Extract(second);
        SegmentationResult seeded = dino.Segment(f1, new PixelPoint(172, 115), dino.DefaultThreshold);

        PropagationResult moved = new MaskPropagator().Propagate(f1, seeded.Mask, f2);

        // The reference: the first mask cropped the same way.
        int inBoth = 0, inEither = 0;
        for (int y = 0; y < second.Height; y++)
        {
            for (int x = 0; x < second.Width; x++)
            {
                bool a = seeded.Mask[(y + dy) * first.Width + x + dx] != 0, b = moved.Mask[y * second.Width + x] != 0;
                inBoth += a && b ? 1 : 0;
                inEither += a || b ? 1 : 0;
            }
        }

        double iou = (double)inBoth / inEither;
        output.WriteLine($"IoU {iou:F3}, propagated area {moved.AreaFraction:P2}, seeded area {seeded.AreaFraction:P2}");
        Assert.True(iou > 0.6, $"IoU {iou:F3} of the propagated mask with the shifted mask");
        Assert.True(moved.SelectedPixels > 500);
    }
}
