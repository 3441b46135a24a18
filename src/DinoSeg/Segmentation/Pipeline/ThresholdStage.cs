using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// A threshold on the finished map (after refinement, for the threshold rules, and the slider). When the mask is
/// the plain threshold of the map and the block bounds are current, only the 64-pixel blocks holding a value between the
/// old and the new threshold are rewritten; otherwise the whole map is thresholded and the bounds retaken.
/// </summary>
internal static class ThresholdStage
{
    public static void Apply(ClickBuffers b, float threshold)
    {
        int rowsPerPart = WorkGrains.Rows(b.Width);
        if (b.BoundsCurrent && b.MaskIsPlain)
        {
            float previous = b.Threshold;
            b.Threshold = threshold;
            RangeWorkers.Shared.For(new Change(b, previous), b.Height, rowsPerPart);
            return;
        }

        b.Threshold = threshold;
        b.Selected = 0;
        RangeWorkers.Shared.For(new Whole(b, writeBounds: !b.BoundsCurrent), b.Height, rowsPerPart);
        b.MapWritten();
    }

    /// <summary>The block bounds of rows [start, end) of the map.</summary>
    public static void TakeBounds(ClickBuffers b, int start, int end)
    {
        for (int y = start; y < end; y++) Kernels.Threshold.Bounds(b.Similarity.AsSpan(y * b.Width, b.Width), b.RowBounds(y, y + 1));
    }

    /// <summary>The slider: only the blocks whose bounds reach between the previous and the new threshold are rewritten.</summary>
    private readonly struct Change(ClickBuffers b, float previous) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int from = start * b.Width, length = (end - start) * b.Width;
            Interlocked.Add(ref b.Selected, Kernels.Threshold.Change(b.Similarity.AsSpan(from, length), b.Width, b.RowBounds(start, end), previous,
                b.Threshold, b.Mask.AsSpan(from, length)));
        }
    }

    private readonly struct Whole(ClickBuffers b, bool writeBounds) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int from = start * b.Width, length = (end - start) * b.Width;
            Interlocked.Add(ref b.Selected, Kernels.Threshold.ApplyUnchecked(b.Similarity.AsSpan(from, length), b.Threshold, b.Mask.AsSpan(from, length)));
            if (writeBounds) TakeBounds(b, start, end);
        }
    }
}
