using System.Numerics.Tensors;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// With <see cref="Refinement.GuidedFilter"/>: the upsampled map replaced by its guided-filter refinement;
/// excluded pixels stay excluded. The passes are <see cref="GuidedFilter.Passes"/>, each split over the workers (row passes
/// by rows, the running sums down the image by column strips), so the map equals <see cref="GuidedFilter.Apply"/>'s bit for bit.
/// </summary>
internal sealed class MapRefineStage(ClickBuffers b)
{
    // The filter's work buffer (p, then a, then q) and scratch, made on the first refined click.
    private float[] _work = [], _scratch = [];

    private enum Step
    {
        ProductAndRowMeans,
        ColumnMeansOfP,
        CoefficientsAndRowMeans,
        ColumnMeansOfA,
        Combine,
    }

    public void Run(RefinementGuide guide, int radius, float epsilon)
    {
        if (_work.Length == 0)
        {
            _work = new float[b.Width * b.Height];
            _scratch = new float[GuidedFilter.ScratchLength(b.Width, b.Height)];
        }

        var (mean, variance) = guide.StatisticsFor(radius);
        RangeWorkers workers = RangeWorkers.Shared;
        int rows = WorkGrains.Rows(b.Width), columns = WorkGrains.Columns(b.Height);
        workers.For(new Pass(b, guide, _work, _scratch, mean, variance, radius, epsilon, Step.ProductAndRowMeans), b.Height, rows);
        workers.For(new Pass(b, guide, _work, _scratch, mean, variance, radius, epsilon, Step.ColumnMeansOfP), b.Width, columns);
        workers.For(new Pass(b, guide, _work, _scratch, mean, variance, radius, epsilon, Step.CoefficientsAndRowMeans), b.Height, rows);
        workers.For(new Pass(b, guide, _work, _scratch, mean, variance, radius, epsilon, Step.ColumnMeansOfA), b.Width, columns);
        workers.For(new Pass(b, guide, _work, _scratch, mean, variance, radius, epsilon, Step.Combine), b.Height, rows);
        b.BoundsCurrent = false; // the map was rewritten in place: its bounds are stale until the next full threshold pass
    }

    private readonly struct Pass(ClickBuffers b, RefinementGuide guide, float[] work, float[] scratch, float[] mean, float[] variance, int radius,
        float epsilon, Step step) : IRangeJob
    {
        public void Run(int start, int end)
        {
            var passes = new GuidedFilter.Passes(guide.Grey, work, scratch, b.Width, b.Height, radius);
            int from = start * b.Width, length = (end - start) * b.Width;
            switch (step)
            {
                case Step.ProductAndRowMeans:
                    // p = max(similarity, −1): excluded pixels pull their neighbourhood down as −1, not −2.
                    TensorPrimitives.Max(b.Similarity.AsSpan(from, length), -1f, work.AsSpan(from, length));
                    passes.ProductAndRowMeans(start, end);
                    break;
                case Step.ColumnMeansOfP:
                    passes.ColumnMeans(intoProduct: false, start, end);
                    break;
                case Step.CoefficientsAndRowMeans:
                    passes.CoefficientsAndRowMeans(mean, variance, epsilon, start, end);
                    break;
                case Step.ColumnMeansOfA:
                    passes.ColumnMeans(intoProduct: true, start, end);
                    break;
                default:
                    // q written back clamped to [−1, 1]; excluded pixels stay excluded.
                    passes.Combine(start, end);
                    Span<float> q = work.AsSpan(from, length), similarity = b.Similarity.AsSpan(from, length);
                    for (int i = 0; i < similarity.Length; i++) similarity[i] = similarity[i] < -1f ? SegmentationResult.Excluded : Math.Clamp(q[i], -1f, 1f);
                    break;
            }
        }
    }
}
