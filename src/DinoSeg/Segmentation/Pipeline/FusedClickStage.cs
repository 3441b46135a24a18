using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// Similarity and upsampling fused for the common click (one seed, no negatives, no box, no ranking) in one pass over the workers: seed
/// similarity (which streams every feature vector from memory), the horizontal resampling of each finished patch row, and
/// the vertical resampling + threshold of each band of output rows whose patch rows are finished. The bands start while
/// other patch rows are still being read, so the threads' compute overlaps the feature stream instead of waiting for it.
/// The same kernels run on the same inputs as <see cref="SimilarityStage"/> followed by <see cref="UpsampleStage"/>, so the
/// result is bit-identical.
/// </summary>
/// <remarks>
/// Output bands are dealt round-robin to the parts; each thread resamples its next band as soon as that band's patch rows
/// are done, and meanwhile claims the next unclaimed patch row. A thread waits only for a patch row another thread is
/// computing, so one thread alone (the pool busy) also finishes.
/// </remarks>
internal sealed class FusedClickStage(ClickBuffers b) : IRangeJob
{
    private PatchFeatures? _features;
    private AxisWeights? _rows, _cols;
    private float _threshold;
    private int[] _rowDone = [];
    private int[] _bandFirstRow = [], _bandLastRow = [];
    private AxisWeights? _bandsFor;
    private int _nextRow;
    private volatile bool _failed;
    private int _parts = 1; // band b belongs to part b mod _parts

    /// <summary>
    /// The similarity to <see cref="ClickBuffers.Vector"/>, upsampled with <paramref name="rows"/> and <paramref name="cols"/>
    /// (<see cref="UpsampleStage.Prepare"/>), thresholded at <paramref name="threshold"/>, with the block bounds.
    /// </summary>
    public void Run(PatchFeatures features, AxisWeights rows, AxisWeights cols, float threshold)
    {
        RangeWorkers workers = RangeWorkers.Shared;
        _parts = workers.MaxParts;
        if (!ReferenceEquals(_bandsFor, rows)) PlanBands(rows);
        if (_rowDone.Length != b.Grid.Rows) _rowDone = new int[b.Grid.Rows];
        else Array.Clear(_rowDone);
        (_features, _rows, _cols, _threshold) = (features, rows, cols, threshold);
        _nextRow = 0;
        _failed = false;
        b.Threshold = threshold;
        b.Selected = 0;
        try
        {
            // One part per thread: every part runs the same claim loop, so any number of threads (one included) finishes it.
            workers.For(this, workers.MaxParts, 1);
        }
        finally
        {
            _features = null;
        }
    }

    void IRangeJob.Run(int start, int end)
    {
        try
        {
            ClaimUntilDone(start, end);
        }
        catch
        {
            _failed = true; // the other threads stop waiting for rows this one will never finish
            throw;
        }
    }

    private void ClaimUntilDone(int firstPart, int endPart)
    {
        // Bands are dealt round-robin to the parts (balanced); patch rows go to whichever thread has no ready band.
        int rows = _rowDone.Length, bands = _bandFirstRow.Length, parts = _parts, selected = 0;
        var spinner = new SpinWait();
        for (int band = 0; band < bands && !_failed; band++)
        {
            if (band % parts < firstPart || band % parts >= endPart) continue;
            while (!BandReady(band) && !_failed)
            {
                if (Volatile.Read(ref _nextRow) < rows)
                {
                    int row = Interlocked.Increment(ref _nextRow) - 1;
                    if (row < rows)
                    {
                        PatchRow(row);
                        Volatile.Write(ref _rowDone[row], 1);
                        spinner.Reset();
                    }

                    continue;
                }

                // Every patch row is claimed; one this band needs is still being computed by another thread.
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            selected += VerticalBand(band);
        }

        Interlocked.Add(ref b.Selected, selected);
    }

    private bool BandReady(int band)
    {
        for (int row = _bandFirstRow[band]; row <= _bandLastRow[band]; row++)
        {
            if (Volatile.Read(ref _rowDone[row]) == 0) return false;
        }

        return true;
    }

    private void PatchRow(int row)
    {
        int cols = b.Grid.Cols, dim = _features!.Dim;
        Span<float> similarity = b.PatchSimilarity.AsSpan(row * cols, cols);
        SeedSimilarity.Compute(_features.Vectors.Slice(row * cols * dim, cols * dim), b.Vector, similarity);
        SeparableFilter.ApplyAlongRow(similarity, _cols!, b.Horizontal.AsSpan(row * b.Stride, b.Width));
    }

    private int VerticalBand(int band)
    {
        int selected = 0, y1 = Math.Min(b.Height, (band + 1) * WorkGrains.ClickBandRows);
        for (int y = band * WorkGrains.ClickBandRows; y < y1; y++)
        {
            selected += SeparableFilter.ApplyAcrossRowsAndThreshold(b.Horizontal, b.Stride, b.Width, _rows!, y, _threshold, b.Similarity, b.Mask,
                b.RowBounds(y, y + 1));
        }

        return selected;
    }

    /// <summary>For each band of output rows, the first and last patch rows its taps read (made once per size and σ).</summary>
    private void PlanBands(AxisWeights rowsWeights)
    {
        int bands = (b.Height + WorkGrains.ClickBandRows - 1) / WorkGrains.ClickBandRows;
        _bandFirstRow = new int[bands];
        _bandLastRow = new int[bands];
        ReadOnlySpan<int> starts = rowsWeights.Starts;
        for (int band = 0; band < bands; band++)
        {
            int first = int.MaxValue, last = int.MinValue;
            for (int y = band * WorkGrains.ClickBandRows; y < Math.Min(b.Height, (band + 1) * WorkGrains.ClickBandRows); y++)
            {
                first = Math.Min(first, starts[y]);
                last = Math.Max(last, starts[y] + rowsWeights.Taps - 1);
            }

            _bandFirstRow[band] = Math.Clamp(first, 0, b.Grid.Rows - 1);
            _bandLastRow[band] = Math.Clamp(last, 0, b.Grid.Rows - 1);
        }

        _bandsFor = rowsWeights;
    }
}
