namespace DinoSeg.Evaluation;

/// <summary>Mask comparison. A mask is row-major bytes, non-zero = object.</summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class MaskMetrics
{
    /// <summary>Intersection over union of two masks; 1 when both are empty (nothing to find, nothing found).</summary>
    /// <exception cref="ArgumentException">The masks differ in length.</exception>
    public static double IoU(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        if (predicted.Length != truth.Length) throw new ArgumentException($"Masks differ in length: {predicted.Length} and {truth.Length}.", nameof(predicted));
        long intersection = 0, union = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            bool p = predicted[i] != 0, t = truth[i] != 0;
            intersection += p & t ? 1 : 0;
            union += p | t ? 1 : 0;
        }

        return union == 0 ? 1 : (double)intersection / union;
    }

    /// <summary>
    /// The boundary tolerance of DAVIS (Perazzi et al. 2016): 0.8 % of the image diagonal, rounded, at least one pixel
    /// (4 px at 400 × 300, 7 px at 640 × 480).
    /// </summary>
    public static int BoundaryTolerance(int width, int height) => Math.Max(1, (int)Math.Round(0.008 * Math.Sqrt((double)width * width + (double)height * height)));

    /// <summary>
    /// Boundary F-measure: how well the outline of <paramref name="predicted"/> follows that of <paramref name="truth"/>,
    /// independent of the area inside. A boundary pixel is an object pixel with a 4-neighbour (inside the image) that is
    /// not object. Precision is the share of predicted boundary pixels within <paramref name="tolerance"/> pixels
    /// (Euclidean) of a true boundary pixel, recall the converse, F their harmonic mean; 1 when neither mask has a
    /// boundary, 0 when only one has.
    /// </summary>
    /// <param name="predicted">The mask to score, row-major, non-zero = object.</param>
    /// <param name="truth">The true mask, the same size.</param>
    /// <param name="width">Mask width.</param>
    /// <param name="height">Mask height.</param>
    /// <param name="tolerance">Match distance in pixels; <see cref="BoundaryTolerance"/> gives DAVIS's.</param>
    /// <exception cref="ArgumentException">A mask is not <paramref name="width"/> × <paramref name="height"/>.</exception>
    public static double BoundaryF(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth, int width, int height, int tolerance)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        if (predicted.Length != width * height || truth.Length != width * height)
        {
            throw new ArgumentException($"Masks must hold {width * height} values; found {predicted.Length} and {truth.Length}.", nameof(predicted));
        }

        var (matchedPredicted, allPredicted) = Matched(predicted, truth, width, height, tolerance);
        var (matchedTruth, allTruth) = Matched(truth, predicted, width, height, tolerance);
        if (allPredicted == 0 && allTruth == 0) return 1;
        if (allPredicted == 0 || allTruth == 0) return 0;
        double precision = (double)matchedPredicted / allPredicted, recall = (double)matchedTruth / allTruth;
        return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
    }

    /// <summary>Boundary pixels of <paramref name="mask"/>, and how many of them lie within the tolerance of <paramref name="other"/>'s boundary.</summary>
    private static (long Matched, long All) Matched(ReadOnlySpan<byte> mask, ReadOnlySpan<byte> other, int width, int height, int tolerance)
    {
        long matched = 0, all = 0;
        int squared = tolerance * tolerance;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (!IsBoundary(mask, width, height, x, y)) continue;
                all++;
                if (HasBoundaryWithin(other, width, height, x, y, tolerance, squared)) matched++;
            }
        }

        return (matched, all);
    }

    private static bool HasBoundaryWithin(ReadOnlySpan<byte> mask, int width, int height, int x, int y, int tolerance, int squared)
    {
        for (int dy = -tolerance; dy <= tolerance; dy++)
        {
            int qy = y + dy;
            if ((uint)qy >= (uint)height) continue;
            for (int dx = -tolerance; dx <= tolerance; dx++)
            {
                int qx = x + dx;
                if ((uint)qx < (uint)width && dx * dx + dy * dy <= squared && IsBoundary(mask, width, height, qx, qy)) return true;
            }
        }

        return false;
    }

    private static bool IsBoundary(ReadOnlySpan<byte> mask, int width, int height, int x, int y)
    {
        int i = y * width + x;
        if (mask[i] == 0) return false;
        return (x > 0 && mask[i - 1] == 0) || (x + 1 < width && mask[i + 1] == 0)
            || (y > 0 && mask[i - width] == 0) || (y + 1 < height && mask[i + width] == 0);
    }
}
