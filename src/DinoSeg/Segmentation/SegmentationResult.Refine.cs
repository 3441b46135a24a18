using System.Numerics.Tensors;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    private float[] _refineInput = [], _refineScratch = [];
    private RefineJobs? _refineJobs;

    /// <summary>
    /// The image guide that <see cref="Refinement.GuidedFilter"/> needs (made once per image with
    /// <see cref="RefinementGuide.FromImage"/>); null when no refinement is used.
    /// </summary>
    /// <exception cref="ArgumentException">The guide's size is not the image's.</exception>
    public RefinementGuide? Guide
    {
        get;
        set
        {
            if (value is not null && (value.Width != Width || value.Height != Height))
            {
                throw new ArgumentException($"The guide is {value.Width}x{value.Height}, the image {Width}x{Height}.", nameof(value));
            }

            field = value;
        }
    }

    /// <summary>Replaces <see cref="Similarity"/> by its guided-filter refinement; excluded pixels stay excluded.</summary>
    /// <remarks>
    /// The same steps as <see cref="GuidedFilter.Apply"/>, with each full-resolution pass split over the workers: row passes
    /// by rows, the box filter's running sum down the image by column strips. Every value is computed by the same
    /// operations as there, so the result is bit-identical to the single-thread filter.
    /// </remarks>
    internal void RefineSimilarity(RefinementGuide guide, int radius, float epsilon)
    {
        int n = Width * Height;
        if (_refineInput.Length == 0)
        {
            _refineInput = new float[n];
            _refineScratch = new float[GuidedFilter.ScratchLength(Width, Height)];
            _refineJobs = new RefineJobs(this);
        }

        var (mean, variance) = guide.StatisticsFor(radius);
        RefineJobs jobs = _refineJobs!;
        (jobs.Guide, jobs.Mean, jobs.Variance, jobs.Radius, jobs.Epsilon) = (guide, mean, variance, radius, epsilon);
        int rowsPerPart = Math.Max(1, 65536 / Width), columnsPerPart = Math.Max(1, 65536 / Height);
        RangeWorkers.Shared.For(jobs.RowsFirst, Height, rowsPerPart);
        jobs.IntoProduct = false;
        RangeWorkers.Shared.For(jobs.Columns, Width, columnsPerPart);
        RangeWorkers.Shared.For(jobs.RowsSecond, Height, rowsPerPart);
        jobs.IntoProduct = true;
        RangeWorkers.Shared.For(jobs.Columns, Width, columnsPerPart);
        RangeWorkers.Shared.For(jobs.Combine, Height, rowsPerPart);
        jobs.Guide = null;
        MapRewritten();
    }

    /// <summary>
    /// The refinement's passes as range jobs, made once per result. Scratch layout: mean(p) then b, the product buffer
    /// (I·p, then mean(a)), two row-pass buffers and the column sums; <see cref="_refineInput"/> holds p, then a, then q.
    /// </summary>
    private sealed class RefineJobs(SegmentationResult r)
    {
        public RefinementGuide? Guide { get; set; }

        public float[] Mean { get; set; } = [];

        public float[] Variance { get; set; } = [];

        public int Radius { get; set; }

        public float Epsilon { get; set; }

        private int N => r.Width * r.Height;

        private Span<float> MeanP => r._refineScratch.AsSpan(0, N);

        private Span<float> Product => r._refineScratch.AsSpan(N, N);

        private Span<float> RowsA => r._refineScratch.AsSpan(2 * N, N);

        private Span<float> RowsB => r._refineScratch.AsSpan(3 * N, N);

        private Span<float> Sums => r._refineScratch.AsSpan(4 * N, r.Width);

        /// <summary>p = max(similarity, −1) (excluded pixels pull their neighbourhood down as −1, not −2), I·p, and both row passes.</summary>
        public IRangeJob RowsFirst { get; } = new Job(r, static (r, start, end) =>
        {
            RefineJobs j = r._refineJobs!;
            int from = start * r.Width, length = (end - start) * r.Width;
            Span<float> p = r._refineInput.AsSpan(from, length);
            TensorPrimitives.Max(r._similarity.AsSpan(from, length), -1f, p);
            TensorPrimitives.Multiply(j.Guide!.Grey.Slice(from, length), p, j.Product.Slice(from, length));
            BoxFilter.RowMeans(r._refineInput, r.Width, j.Radius, j.RowsA, start, end);
            BoxFilter.RowMeans(j.Product, r.Width, j.Radius, j.RowsB, start, end);
        });

        /// <summary>Where <see cref="Columns"/> writes the column pass of the first row buffer: mean(p), then mean(a).</summary>
        public bool IntoProduct { get; set; }

        /// <summary>
        /// The column passes of both row buffers: the first into mean(p) (first round) or the product buffer (mean(a), second
        /// round), the second into the input buffer (mean(I·p), then mean(b); p and a are no longer needed by then).
        /// </summary>
        public IRangeJob Columns { get; } = new Job(r, static (r, start, end) =>
        {
            RefineJobs j = r._refineJobs!;
            BoxFilter.ColumnMeans(j.RowsA, r.Width, r.Height, j.Radius, j.IntoProduct ? j.Product : j.MeanP, j.Sums, start, end);
            BoxFilter.ColumnMeans(j.RowsB, r.Width, r.Height, j.Radius, r._refineInput, j.Sums, start, end);
        });

        /// <summary>The coefficients a and b, and their row passes.</summary>
        public IRangeJob RowsSecond { get; } = new Job(r, static (r, start, end) =>
        {
            RefineJobs j = r._refineJobs!;
            int from = start * r.Width, length = (end - start) * r.Width;
            GuidedFilter.Coefficients(j.Mean.AsSpan(from, length), j.Variance.AsSpan(from, length), j.Epsilon, j.MeanP.Slice(from, length),
                r._refineInput.AsSpan(from, length), j.Product.Slice(from, length));
            BoxFilter.RowMeans(r._refineInput, r.Width, j.Radius, j.RowsA, start, end);
            BoxFilter.RowMeans(j.MeanP, r.Width, j.Radius, j.RowsB, start, end);
        });

        /// <summary>q = mean(a)·I + mean(b), written back clamped to [−1, 1]; excluded pixels stay excluded.</summary>
        public IRangeJob Combine { get; } = new Job(r, static (r, start, end) =>
        {
            RefineJobs j = r._refineJobs!;
            int from = start * r.Width, length = (end - start) * r.Width;
            Span<float> q = r._refineInput.AsSpan(from, length);
            TensorPrimitives.MultiplyAdd(j.Product.Slice(from, length), j.Guide!.Grey.Slice(from, length), q, q);
            Span<float> similarity = r._similarity.AsSpan(from, length);
            for (int i = 0; i < similarity.Length; i++) similarity[i] = similarity[i] < -1f ? Excluded : Math.Clamp(q[i], -1f, 1f);
        });
    }
}
