using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// A patch map to image size, bilinear then Gaussian (<see cref="SegmentationOptions.SimilaritySigma"/>) in one
/// separable pass — along each patch row, then across rows — with the threshold applied to each output row as it is made.
/// </summary>
internal sealed class UpsampleStage(ClickBuffers b)
{
    private double _sigma = double.NaN;

    /// <summary>The across-rows weights for the current σ (patch rows → image rows).</summary>
    public AxisWeights? Rows { get; private set; }

    /// <summary>The along-row weights for the current σ (patch columns → image columns).</summary>
    public AxisWeights? Cols { get; private set; }

    /// <summary>
    /// The resampling weights for σ, made on the first click and when σ changes, and the scratch and bounds buffers, made on
    /// the first click. The bounds are stale from here until the new map is complete (a click that throws half-way leaves
    /// them so).
    /// </summary>
    public void Prepare(double sigma)
    {
        if (Rows is null || _sigma != sigma)
        {
            Rows = AxisWeights.BilinearThenGaussian(b.Grid.Rows, b.Height, sigma);
            Cols = AxisWeights.BilinearThenGaussian(b.Grid.Cols, b.Width, sigma);
            _sigma = sigma;
        }

        b.EnsureUpsampling();
        b.BoundsCurrent = false;
    }

    /// <summary>
    /// Upsamples <paramref name="source"/> into <paramref name="destination"/> and thresholds it into the mask, counting the
    /// selected pixels; with <paramref name="writeBounds"/>, also takes the block bounds.
    /// </summary>
    public void Run(float[] source, float[] destination, float threshold, bool writeBounds)
    {
        RangeWorkers workers = RangeWorkers.Shared;
        workers.For(new AlongRows(b, Cols!, source), b.Grid.Rows, WorkGrains.PatchRows(b.Width, Cols!.Taps));
        b.Selected = 0;
        workers.For(new AcrossRowsAndThreshold(b, Rows!, destination, threshold, writeBounds), b.Height, WorkGrains.FilterRows(b.Width));
    }

    private readonly struct AlongRows(ClickBuffers b, AxisWeights cols, float[] source) : IRangeJob
    {
        public void Run(int start, int end)
        {
            for (int row = start; row < end; row++)
            {
                SeparableFilter.ApplyAlongRow(source.AsSpan(row * b.Grid.Cols, b.Grid.Cols), cols, b.Horizontal.AsSpan(row * b.Stride, b.Width));
            }
        }
    }

    private readonly struct AcrossRowsAndThreshold(ClickBuffers b, AxisWeights rows, float[] destination, float threshold, bool writeBounds)
        : IRangeJob
    {
        public void Run(int start, int end)
        {
            int selected = 0;
            for (int y = start; y < end; y++)
            {
                // Each row is thresholded as it is computed, instead of a second pass over the whole map.
                selected += SeparableFilter.ApplyAcrossRowsAndThreshold(b.Horizontal, b.Stride, b.Width, rows, y, threshold, destination, b.Mask,
                    writeBounds ? b.RowBounds(y, y + 1) : default);
            }

            Interlocked.Add(ref b.Selected, selected);
        }
    }
}
