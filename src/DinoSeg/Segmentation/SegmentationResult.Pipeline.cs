using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    // Output rows per band of the vertical pass. In paired runs at 1024² against the staged path, 16-row bands left the next
    // full-map threshold pass about twice as slow; 128-row bands keep the click's gain.
    private const int PipelineChunkRows = 128;

    private Pipeline? _pipeline;

    /// <summary>
    /// The plain click in one pass over the workers: seed similarity (which streams every feature vector from memory), the
    /// horizontal resampling of each finished patch row, and the vertical resampling + threshold of each band of output rows
    /// whose patch rows are finished. The bands start while other patch rows are still being read, so the threads' compute
    /// overlaps the feature stream instead of waiting for it. The same kernels run on the same inputs as
    /// <see cref="ComputeSimilarity"/> followed by <see cref="Upsample"/>, so the result is bit-identical.
    /// </summary>
    internal void ComputeSimilarityAndUpsample(PatchFeatures features, double sigma, float threshold)
    {
        PrepareUpsampling(sigma);
        _pipeline ??= new Pipeline(this);
        _pipeline.Start(features, threshold, RangeWorkers.Shared.MaxParts);
        Threshold = threshold;
        _selected = 0;
        RangeWorkers workers = RangeWorkers.Shared;
        // One part per thread: every part runs the same claim loop, so any number of threads (one included) finishes it.
        workers.For(_pipeline, workers.MaxParts, 1);
        _pipeline.Finish();
        MapWritten();
    }

    /// <summary>
    /// Output bands are dealt round-robin to the parts; each thread resamples its next band as soon as that band's patch rows
    /// are done, and meanwhile claims the next unclaimed patch row. A thread waits only for a patch row another thread is
    /// computing, so one thread alone (the pool busy) also finishes.
    /// </summary>
    private sealed class Pipeline(SegmentationResult r) : IRangeJob
    {
        private PatchFeatures? _features;
        private float _threshold;
        private int[] _rowDone = [];
        private int[] _bandFirstRow = [], _bandLastRow = [];
        private AxisWeights? _bandsFor;
        private int _nextRow;
        private volatile bool _failed;
        private int _parts = 1; // band b belongs to part b mod _parts

        public void Start(PatchFeatures features, float threshold, int parts)
        {
            _parts = parts;
            if (!ReferenceEquals(_bandsFor, r._upRows)) PlanBands(r._upRows!);
            if (_rowDone.Length != r.Grid.Rows) _rowDone = new int[r.Grid.Rows];
            else Array.Clear(_rowDone);
            _features = features;
            _threshold = threshold;
            _nextRow = 0;
            _failed = false;
        }

        public void Finish() => _features = null;

        public void Run(int start, int end)
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

            Interlocked.Add(ref r._selected, selected);
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
            int cols = r.Grid.Cols, dim = _features!.Dim;
            Span<float> similarity = r._patchSimilarity.AsSpan(row * cols, cols);
            SeedSimilarity.Compute(_features.Vectors.Slice(row * cols * dim, cols * dim), r.Vector, similarity);
            SeparableFilter.ApplyAlongRow(similarity, r._upCols!, r._horizontal.AsSpan(row * r._stride, r.Width));
        }

        private int VerticalBand(int band)
        {
            int selected = 0, y1 = Math.Min(r.Height, (band + 1) * PipelineChunkRows);
            for (int y = band * PipelineChunkRows; y < y1; y++)
            {
                selected += SeparableFilter.ApplyAcrossRowsAndThreshold(r._horizontal, r._stride, r.Width, r._upRows!, y, _threshold,
                    r._similarity, r._mask, r.RowBounds(y));
            }

            return selected;
        }

        /// <summary>For each band of output rows, the first and last patch rows its taps read (made once per size and σ).</summary>
        private void PlanBands(AxisWeights rowsWeights)
        {
            int bands = (r.Height + PipelineChunkRows - 1) / PipelineChunkRows;
            _bandFirstRow = new int[bands];
            _bandLastRow = new int[bands];
            ReadOnlySpan<int> starts = rowsWeights.Starts;
            for (int band = 0; band < bands; band++)
            {
                int first = int.MaxValue, last = int.MinValue;
                for (int y = band * PipelineChunkRows; y < Math.Min(r.Height, (band + 1) * PipelineChunkRows); y++)
                {
                    first = Math.Min(first, starts[y]);
                    last = Math.Max(last, starts[y] + rowsWeights.Taps - 1);
                }

                _bandFirstRow[band] = Math.Clamp(first, 0, r.Grid.Rows - 1);
                _bandLastRow[band] = Math.Clamp(last, 0, r.Grid.Rows - 1);
            }

            _bandsFor = rowsWeights;
        }
    }
}
