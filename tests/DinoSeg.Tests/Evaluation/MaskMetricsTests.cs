using DinoSeg.Evaluation;

namespace DinoSeg.Tests.Evaluation;

public sealed class MaskMetricsTests
{
    [Fact]
    public void BoundaryF_SameMask_IsOne()
    {
        byte[] disc = Disc(60, 40, 30, 20, 12);

        Assert.Equal(1.0, MaskMetrics.BoundaryF(disc, disc, 60, 40, 1));
        Assert.Equal(1.0, MaskMetrics.BoundaryF(disc, disc, 60, 40, 0));
    }

    [Fact]
    public void BoundaryF_ShiftedMask_MatchesOnlyWithinTheTolerance()
    {
        byte[] truth = Rect(80, 60, 20, 15, 60, 45), shifted = Rect(80, 60, 23, 15, 63, 45); // 3 px to the right

        double within = MaskMetrics.BoundaryF(shifted, truth, 80, 60, 3);
        double tooTight = MaskMetrics.BoundaryF(shifted, truth, 80, 60, 2);

        Assert.Equal(1.0, within);
        Assert.InRange(tooTight, 0.3, 0.9); // the top and bottom edges still match, the left and right ones do not
    }

    [Fact]
    public void BoundaryF_EmptyMasks_AreOneTogetherAndZeroAgainstAnObject()
    {
        var empty = new byte[100];
        byte[] square = Rect(10, 10, 2, 2, 8, 8);

        Assert.Equal(1.0, MaskMetrics.BoundaryF(empty, empty, 10, 10, 2));
        Assert.Equal(0.0, MaskMetrics.BoundaryF(empty, square, 10, 10, 2));
        Assert.Equal(0.0, MaskMetrics.BoundaryF(square, empty, 10, 10, 2));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 0)]
    public void BoundaryF_RandomBlobs_MatchesABruteForceCount(int seed, int tolerance)
    {
        // Arrange: unions of random discs, so outlines are ragged and the two masks overlap only in part.
        var random = new Random(seed);
        const int width = 70, height = 50;
        byte[] predicted = Blobs(random, width, height), truth = Blobs(random, width, height);

        // Act
        double f = MaskMetrics.BoundaryF(predicted, truth, width, height, tolerance);

        // Assert: every boundary pixel against every other boundary pixel.
        var bp = BoundaryPixels(predicted, width, height);
        var bt = BoundaryPixels(truth, width, height);
        double precision = bp.Count(p => bt.Any(t => Squared(p, t) <= tolerance * tolerance)) / (double)bp.Count;
        double recall = bt.Count(t => bp.Any(p => Squared(p, t) <= tolerance * tolerance)) / (double)bt.Count;
        double expected = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        Assert.Equal(expected, f, 12);
        Assert.InRange(f, 0.01, 0.999); // neither trivially 0 nor 1
    }

    [Theory]
    [InlineData(400, 300, 4)]
    [InlineData(640, 480, 6)]
    [InlineData(10, 10, 1)]
    public void BoundaryTolerance_IsDavisEightThousandthsOfTheDiagonal(int width, int height, int expected) =>
        Assert.Equal(expected, MaskMetrics.BoundaryTolerance(width, height));

    private static List<(int X, int Y)> BoundaryPixels(byte[] mask, int width, int height)
    {
        var list = new List<(int, int)>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (mask[y * width + x] == 0) continue;
                bool edge = false;
                foreach (var (dx, dy) in new[] { (-1, 0), (1, 0), (0, -1), (0, 1) })
                {
                    int qx = x + dx, qy = y + dy;
                    if (qx >= 0 && qx < width && qy >= 0 && qy < height && mask[qy * width + qx] == 0) edge = true;
                }

                if (edge) list.Add((x, y));
            }
        }

        return list;
    }

    private static int Squared((int X, int Y) a, (int X, int Y) b) => (a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y);

    private static byte[] Blobs(Random random, int width, int height)
    {
        var mask = new byte[width * height];
        for (int k = 0; k < 4; k++)
        {
            byte[] disc = Disc(width, height, random.Next(width), random.Next(height), 4 + random.Next(12));
            for (int i = 0; i < mask.Length; i++) mask[i] |= disc[i];
        }

        return mask;
    }

    private static byte[] Disc(int width, int height, int cx, int cy, int radius)
    {
        var mask = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) mask[y * width + x] = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius ? (byte)255 : (byte)0;
        }

        return mask;
    }

    private static byte[] Rect(int width, int height, int x0, int y0, int x1, int y1)
    {
        var mask = new byte[width * height];
        for (int y = y0; y < y1; y++) mask.AsSpan(y * width + x0, x1 - x0).Fill(255);
        return mask;
    }
}
