using System.Buffers;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    /// <summary>The per-click stages as range jobs over this result's buffers, made once per result (no allocation per click).</summary>
    private sealed class Jobs(SegmentationResult r)
    {
        /// <summary>Rows per band of the feather: the band's buffer (these rows plus the kernel's reach) stays in cache.</summary>
        private const int FeatherBandRows = 32;

        public PatchFeatures? Features { get; set; }

        public bool MaxInto { get; set; }

        /// <summary>The patch map the similarity job writes.</summary>
        public float[] Target { get; set; } = r._patchSimilarity;

        /// <summary>The patch map the upsampling reads.</summary>
        public float[] Source { get; set; } = r._patchSimilarity;

        /// <summary>The image-size map the upsampling writes.</summary>
        public float[] Destination { get; set; } = r._similarity;

        /// <summary>The threshold the upsampling applies on the fly.</summary>
        public float Threshold { get; set; }

        /// <summary>Whether the upsampling or the full threshold pass also writes the map's block bounds.</summary>
        public bool WriteBounds { get; set; }

        /// <summary>The threshold the mask holds before <see cref="ThresholdChange"/> moves it to the result's.</summary>
        public float PreviousThreshold { get; set; }

        public IRangeJob Similarity { get; } = new Job(r, static (r, start, end) =>
        {
            PatchFeatures features = r._jobs.Features!;
            int dim = features.Dim;
            ReadOnlySpan<float> vectors = features.Vectors.Slice(start * dim, (end - start) * dim);
            Span<float> destination = r._jobs.Target.AsSpan(start, end - start);
            if (r._jobs.MaxInto) SeedSimilarity.MaxInto(vectors, r.Vector, destination);
            else SeedSimilarity.Compute(vectors, r.Vector, destination);
        });

        public IRangeJob AlongColumns { get; } = new Job(r, static (r, start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                SeparableFilter.ApplyAlongRow(r._jobs.Source.AsSpan(row * r.Grid.Cols, r.Grid.Cols), r._upCols!,
                    r._horizontal.AsSpan(row * r._stride, r.Width));
            }
        });

        public IRangeJob AcrossRowsAndThreshold { get; } = new Job(r, static (r, start, end) =>
        {
            int selected = 0;
            for (int y = start; y < end; y++)
            {
                // Each row is thresholded as it is computed, instead of a second pass over the whole map.
                selected += SeparableFilter.ApplyAcrossRowsAndThreshold(r._horizontal, r._stride, r.Width, r._upRows!, y, r._jobs.Threshold,
                    r._jobs.Destination, r._mask, r._jobs.WriteBounds ? r.RowBounds(y) : default);
            }

            Interlocked.Add(ref r._selected, selected);
        });

        public IRangeJob ThresholdOnly { get; } = new Job(r, static (r, start, end) =>
        {
            int from = start * r.Width, length = (end - start) * r.Width;
            Interlocked.Add(ref r._selected, Kernels.Threshold.ApplyUnchecked(r._similarity.AsSpan(from, length), r.Threshold, r._mask.AsSpan(from, length)));
            if (r._jobs.WriteBounds) TakeBounds(r, start, end);
        });

        /// <summary>The slider: only the blocks whose bounds reach between the previous and the new threshold are rewritten.</summary>
        public IRangeJob ThresholdChange { get; } = new Job(r, static (r, start, end) =>
        {
            int from = start * r.Width, length = (end - start) * r.Width;
            Interlocked.Add(ref r._selected, Kernels.Threshold.Change(r._similarity.AsSpan(from, length), r.Width,
                r._bounds.AsSpan(start * r._boundsStride, (end - start) * r._boundsStride), r._jobs.PreviousThreshold, r.Threshold,
                r._mask.AsSpan(from, length)));
        });

        public IRangeJob GateAndThreshold { get; } = new Job(r, static (r, start, end) =>
        {
            int from = start * r.Width, length = (end - start) * r.Width;
            Span<float> map = r._similarity.AsSpan(from, length);
            if (r._negativeSeeds.Count > 0) ExclusionGate.Apply(map, r._margin.AsSpan(from, length), Excluded);
            if (r.BoxLimit is PixelRect limit)
            {
                for (int y = start; y < end; y++)
                {
                    Span<float> row = r._similarity.AsSpan(y * r.Width, r.Width);
                    if (y < limit.Y0 || y >= limit.Y1)
                    {
                        row.Fill(Excluded);
                        continue;
                    }

                    row[..limit.X0].Fill(Excluded);
                    row[limit.X1..].Fill(Excluded);
                }
            }

            Interlocked.Add(ref r._selected, Kernels.Threshold.ApplyUnchecked(map, r.Threshold, r._mask.AsSpan(from, length)));
            TakeBounds(r, start, end);
        });

        public IRangeJob MaskToSoft { get; } = new Job(r, static (r, start, end) =>
            ToUnit(r._mask.AsSpan(start * r.Width, (end - start) * r.Width), r._softMask.AsSpan(start * r.Width)));

        /// <summary>Binary mask → feathered soft mask over output rows [start, end), <see cref="FeatherBandRows"/> rows at a time.</summary>
        public IRangeJob Feather { get; } = new Job(r, static (r, start, end) => FeatherRows(r, start, end));

        /// <summary>
        /// Each band's source rows are turned into 0/1 floats in a small pooled buffer, blurred across rows straight into the
        /// soft mask, then along each row through a one-row copy. No image-sized scratch: at 16 megapixels a full-size one
        /// was 64 MiB per result. The arithmetic is that of the two full-image passes, so the values are the same bit for bit.
        /// </summary>
        private static void FeatherRows(SegmentationResult r, int start, int end)
        {
            AxisWeights weights = r._featherRows!;
            ReadOnlySpan<int> starts = weights.Starts;
            int width = r.Width;
            float[] unit = [];
            float[] row = ArrayPool<float>.Shared.Rent(width);
            try
            {
                for (int first = start; first < end; first += FeatherBandRows)
                {
                    int last = Math.Min(first + FeatherBandRows, end);
                    int low = int.MaxValue, high = 0;
                    for (int o = first; o < last; o++)
                    {
                        low = Math.Min(low, starts[o]);
                        high = Math.Max(high, starts[o] + weights.Taps);
                    }

                    int needed = (high - low) * width;
                    if (unit.Length < needed)
                    {
                        if (unit.Length > 0) ArrayPool<float>.Shared.Return(unit);
                        unit = ArrayPool<float>.Shared.Rent(needed);
                    }

                    ToUnit(r._mask.AsSpan(low * width, needed), unit);
                    SeparableFilter.ApplyAcrossRows(unit.AsSpan(0, needed), width, width, weights, first, last, r._softMask, sourceOrigin: low);
                    for (int y = first; y < last; y++)
                    {
                        Span<float> soft = r._softMask.AsSpan(y * width, width);
                        soft.CopyTo(row);
                        GaussianBlur.AlongRows(row.AsSpan(0, width), r._featherKernel, width, 0, 1, soft);
                    }
                }
            }
            finally
            {
                if (unit.Length > 0) ArrayPool<float>.Shared.Return(unit);
                ArrayPool<float>.Shared.Return(row);
            }
        }

        private static void TakeBounds(SegmentationResult r, int start, int end)
        {
            for (int y = start; y < end; y++) Kernels.Threshold.Bounds(r._similarity.AsSpan(y * r.Width, r.Width), r.RowBounds(y));
        }

        private static void ToUnit(ReadOnlySpan<byte> mask, Span<float> unit)
        {
            for (int i = 0; i < mask.Length; i++) unit[i] = mask[i] == 0 ? 0f : 1f;
        }
    }

    private sealed class Job(SegmentationResult result, Action<SegmentationResult, int, int> body) : IRangeJob
    {
        public void Run(int start, int end) => body(result, start, end);
    }
}
