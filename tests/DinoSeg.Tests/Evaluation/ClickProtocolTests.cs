using DinoSeg.Evaluation;

namespace DinoSeg.Tests.Evaluation;

/// <summary>The RITM click protocol on synthetic masks whose clicks and IoUs are known by hand.</summary>
public sealed class ClickProtocolTests
{
    private static byte[] Rect(int width, int height, int x0, int y0, int x1, int y1, byte[]? into = null)
    {
        var mask = into ?? new byte[width * height];
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++) mask[y * width + x] = 255;
        }

        return mask;
    }

    private static void Disk(byte[] mask, int width, PixelPoint centre, int radius, byte value)
    {
        int height = mask.Length / width;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int dx = x - centre.X, dy = y - centre.Y;
                if (dx * dx + dy * dy <= radius * radius) mask[y * width + x] = value;
            }
        }
    }

    [Fact]
    public void DistanceTransform_RandomMasks_MatchesBruteForce()
    {
        var random = new Random(42);
        var transform = new DistanceTransform();
        foreach (var (w, h) in new[] { (1, 1), (1, 7), (9, 1), (13, 11), (32, 17) })
        {
            var mask = new byte[w * h];
            for (int i = 0; i < mask.Length; i++) mask[i] = random.NextDouble() < 0.7 ? (byte)1 : (byte)0;
            var fast = new double[w * h];
            transform.Compute(mask, w, h, fast);
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    Assert.Equal(BruteForce(mask, w, h, x, y), fast[y * w + x]);
                }
            }
        }
    }

    /// <summary>Squared distance to the nearest unset pixel, the one-pixel frame around the image counting as unset.</summary>
    private static double BruteForce(byte[] mask, int w, int h, int x, int y)
    {
        if (mask[y * w + x] == 0) return 0;
        double best = double.MaxValue;
        for (int v = -1; v <= h; v++)
        {
            for (int u = -1; u <= w; u++)
            {
                bool outside = u < 0 || v < 0 || u >= w || v >= h;
                if (outside || mask[v * w + u] == 0) best = Math.Min(best, (double)(u - x) * (u - x) + (double)(v - y) * (v - y));
            }
        }

        return best;
    }

    [Fact]
    public void FirstClick_Rectangle_FirstPixelThreeFromEveryBorder()
    {
        // x in [5, 15), y in [3, 9): the deepest pixels are 3 from the nearest background; the first in row-major order is (7, 5).
        byte[] truth = Rect(30, 20, 5, 3, 15, 9);

        Assert.Equal(new PixelPoint(7, 5), new ClickProtocol().FirstClick(truth, 30, 20));
    }

    [Fact]
    public void FirstClick_ObjectTouchingTheImageBorder_StaysAwayFromIt()
    {
        // The whole left half of a 20x10 image: the border counts as a boundary, so the deepest pixel is at x = 4, y = 4.
        byte[] truth = Rect(20, 10, 0, 0, 10, 10);

        Assert.Equal(new PixelPoint(4, 4), new ClickProtocol().FirstClick(truth, 20, 10));
    }

    [Fact]
    public void FirstClick_EmptyTruth_Throws() =>
        Assert.Throws<ArgumentException>("truth", () => new ClickProtocol().FirstClick(new byte[12], 4, 3));

    [Fact]
    public void NextClick_LargeFalsePositive_IsNegativeAtItsCentre()
    {
        byte[] truth = Rect(40, 20, 2, 2, 8, 8);
        byte[] predicted = Rect(40, 20, 2, 2, 8, 8);
        Rect(40, 20, 20, 5, 31, 16, predicted); // 11x11 false region centred on (25, 10)

        Assert.Equal(new Click(new PixelPoint(25, 10), false), new ClickProtocol().NextClick(predicted, truth, 40, 20));
    }

    [Fact]
    public void NextClick_MissedHalf_IsPositiveInsideIt()
    {
        byte[] truth = Rect(40, 20, 0, 0, 40, 20);
        byte[] predicted = Rect(40, 20, 0, 0, 20, 20);
        Click? click = new ClickProtocol().NextClick(predicted, truth, 40, 20);

        Assert.NotNull(click);
        Assert.True(click.Value.Positive);
        Assert.InRange(click.Value.Point.X, 20, 39);
    }

    [Fact]
    public void NextClick_PerfectPrediction_IsNull()
    {
        byte[] truth = Rect(10, 10, 2, 2, 6, 6);
        Assert.Null(new ClickProtocol().NextClick(truth, truth, 10, 10));
    }

    /// <summary>Selects a disk around each positive click, then clears a disk around each negative one.</summary>
    private sealed class DiskModel(int width, int height, int radius) : IClickModel
    {
        private readonly byte[] _mask = new byte[width * height];

        public int Calls { get; private set; }

        public ReadOnlySpan<byte> Segment(ReadOnlySpan<PixelPoint> positives, ReadOnlySpan<PixelPoint> negatives)
        {
            Calls++;
            Array.Clear(_mask);
            foreach (PixelPoint p in positives) Disk(_mask, width, p, radius, 255);
            foreach (PixelPoint n in negatives) Disk(_mask, width, n, radius, 0);
            return _mask;
        }
    }

    [Fact]
    public void Run_TwoEqualDisks_ClicksBothCentresAndReachesIoUOneInTwoClicks()
    {
        var truth = new byte[60 * 40];
        Disk(truth, 60, new PixelPoint(15, 12), 5, 255);
        Disk(truth, 60, new PixelPoint(44, 27), 5, 255);

        ClickTrace trace = new ClickProtocol().Run(new DiskModel(60, 40, 5), truth, 60, 40);

        Assert.Equal([new Click(new PixelPoint(15, 12), true), new Click(new PixelPoint(44, 27), true)], trace.Clicks);
        Assert.Equal(0.5, trace.FirstClickIoU, 12);
        Assert.Equal(1.0, trace.FinalIoU, 12);
        Assert.Equal(2, trace.ClicksToReach(0.85));
        Assert.Equal(2, trace.ClicksToReach(0.90));
    }

    [Fact]
    public void Run_ModelThatOverSelects_GetsANegativeClick()
    {
        // A model whose disks are too big (radius 9 for a radius-4 object): the ring of false positives draws a negative click.
        var truth = new byte[40 * 40];
        Disk(truth, 40, new PixelPoint(20, 20), 4, 255);

        ClickTrace trace = new ClickProtocol(maxClicks: 3).Run(new DiskModel(40, 40, 9), truth, 40, 40);

        Assert.True(trace.Clicks[0].Positive);
        Assert.False(trace.Clicks[1].Positive);
        var nine = new byte[40 * 40];
        Disk(nine, 40, new PixelPoint(20, 20), 9, 255);
        Assert.Equal(MaskMetrics.IoU(nine, truth), trace.FirstClickIoU, 12);
    }

    [Fact]
    public void Run_ModelThatNeverGetsThere_StopsAtTheBudgetAndCountsIt()
    {
        var truth = Rect(30, 30, 0, 0, 30, 15);
        var model = new DiskModel(30, 30, 1);

        ClickTrace trace = new ClickProtocol(maxClicks: 5).Run(model, truth, 30, 30);

        Assert.Equal(5, model.Calls);
        Assert.Equal(5, trace.Clicks.Count);
        Assert.Equal(5, trace.ClicksToReach(0.90));
    }

    [Fact]
    public void IoU_KnownOverlap()
    {
        byte[] a = Rect(10, 10, 0, 0, 6, 10), b = Rect(10, 10, 4, 0, 10, 10);
        Assert.Equal(20.0 / 100.0, MaskMetrics.IoU(a, b), 12);
        Assert.Equal(1.0, MaskMetrics.IoU(new byte[4], new byte[4]));
    }
}
