using System.Numerics.Tensors;

namespace DinoSeg.Kernels;

/// <summary>
/// The grey-guide guided filter of He, Sun and Tang (2010/2013): q = mean(a)·I + mean(b) with a = cov(I, p) / (var(I) + ε)
/// and b = mean(p) − a·mean(I), all means over the same clipped (2r + 1)² window. Where the guide has an edge, q keeps it;
/// where the guide is flat, q is smoothed. Every step is a <see cref="BoxFilter"/> or an element-wise
/// <see cref="TensorPrimitives"/> call, so the cost is O(1) per pixel for any radius.
/// </summary>
internal static class GuidedFilter
{
    /// <summary>Scratch values <see cref="Apply"/> needs for a width × height image.</summary>
    public static int ScratchLength(int width, int height) => 4 * width * height + width;

    /// <summary>Filters <paramref name="input"/> guided by <paramref name="guide"/>.</summary>
    /// <param name="guide">The guide I (e.g. grey levels in [0, 1]), width × height.</param>
    /// <param name="guideMean">mean(I) over the window (<see cref="BoxFilter.Mean"/> of the guide with the same radius).</param>
    /// <param name="guideVariance">var(I) = mean(I²) − mean(I)² over the window.</param>
    /// <param name="input">The map p to filter, width × height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="radius">Window radius r.</param>
    /// <param name="epsilon">ε &gt; 0, in squared guide units: larger values smooth across weaker edges.</param>
    /// <param name="output">q, width × height; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> values.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">ε is not positive.</exception>
    public static void Apply(ReadOnlySpan<float> guide, ReadOnlySpan<float> guideMean, ReadOnlySpan<float> guideVariance,
        ReadOnlySpan<float> input, int width, int height, int radius, float epsilon, Span<float> output, Span<float> scratch)
    {
        int n = width * height;
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive.");
        Throw.IfShorterThan(Math.Min(Math.Min(guide.Length, guideMean.Length), Math.Min(guideVariance.Length, input.Length)), n,
            "Each of the guide, its statistics and the input", nameof(input));
        Throw.IfShorterThan(output.Length, n, "Output", nameof(output));
        Throw.IfShorterThan(scratch.Length, ScratchLength(width, height), "Scratch", nameof(scratch));

        // The passes over the whole image on this thread; the click's refinement runs the same passes split over the workers.
        input[..n].CopyTo(output); // the output is the work buffer (p, then a, then q); harmless when it is the input
        var passes = new Passes(guide, output, scratch, width, height, radius);
        passes.ProductAndRowMeans(0, height);
        passes.ColumnMeans(intoProduct: false, 0, width);
        passes.CoefficientsAndRowMeans(guideMean, guideVariance, epsilon, 0, height);
        passes.ColumnMeans(intoProduct: true, 0, width);
        passes.Combine(0, height);
    }

    /// <summary>
    /// The filter's five passes, each over a range of rows or columns so that a caller can split it over threads with the
    /// same values bit for bit. The work buffer holds p, then a, then mean(I·p) and mean(b), then q; the scratch holds
    /// mean(p) then b, the product buffer (I·p, then mean(a)), two row-pass buffers and the column sums.
    /// </summary>
    internal readonly ref struct Passes(ReadOnlySpan<float> guide, Span<float> work, Span<float> scratch, int width, int height, int radius)
    {
        private readonly ReadOnlySpan<float> _guide = guide;
        private readonly Span<float> _work = work;
        private readonly Span<float> _scratch = scratch;

        private int N => width * height;

        private Span<float> MeanP => _scratch[..N];

        private Span<float> Product => _scratch.Slice(N, N);

        private Span<float> RowsA => _scratch.Slice(2 * N, N);

        private Span<float> RowsB => _scratch.Slice(3 * N, N);

        private Span<float> Sums => _scratch.Slice(4 * N, width);

        /// <summary>Rows [start, end): I·p into the product buffer, and the row passes of p and of I·p.</summary>
        public void ProductAndRowMeans(int start, int end)
        {
            int from = start * width, length = (end - start) * width;
            TensorPrimitives.Multiply(_guide.Slice(from, length), _work.Slice(from, length), Product.Slice(from, length));
            BoxFilter.RowMeans(_work, width, radius, RowsA, start, end);
            BoxFilter.RowMeans(Product, width, radius, RowsB, start, end);
        }

        /// <summary>
        /// Columns [start, end) of both row buffers' column passes: the first into mean(p), or into the product buffer
        /// (mean(a), <paramref name="intoProduct"/>); the second into the work buffer (mean(I·p), then mean(b): p and a are no
        /// longer needed by then).
        /// </summary>
        public void ColumnMeans(bool intoProduct, int start, int end)
        {
            BoxFilter.ColumnMeans(RowsA, width, height, radius, intoProduct ? Product : MeanP, Sums, start, end);
            BoxFilter.ColumnMeans(RowsB, width, height, radius, _work, Sums, start, end);
        }

        /// <summary>Rows [start, end): the coefficients a (into the work buffer) and b (over mean(p)), and their row passes.</summary>
        public void CoefficientsAndRowMeans(ReadOnlySpan<float> guideMean, ReadOnlySpan<float> guideVariance, float epsilon, int start, int end)
        {
            int from = start * width, length = (end - start) * width;
            Coefficients(guideMean.Slice(from, length), guideVariance.Slice(from, length), epsilon, MeanP.Slice(from, length),
                _work.Slice(from, length), Product.Slice(from, length));
            BoxFilter.RowMeans(_work, width, radius, RowsA, start, end);
            BoxFilter.RowMeans(MeanP, width, radius, RowsB, start, end);
        }

        /// <summary>Rows [start, end): q = mean(a)·I + mean(b) into the work buffer.</summary>
        public void Combine(int start, int end)
        {
            int from = start * width, length = (end - start) * width;
            Span<float> q = _work.Slice(from, length);
            TensorPrimitives.MultiplyAdd(Product.Slice(from, length), _guide.Slice(from, length), q, q);
        }
    }

    /// <summary>
    /// a = (mean(I·p) − mean(I)·mean(p)) / (var(I) + ε) in place of mean(I·p) in <paramref name="a"/>; b = mean(p) − a·mean(I)
    /// in place of mean(p) in <paramref name="meanPThenB"/>. Element-wise, so any sub-range gives the same values.
    /// </summary>
    internal static void Coefficients(ReadOnlySpan<float> meanI, ReadOnlySpan<float> varI, float epsilon, Span<float> meanPThenB,
        Span<float> a, Span<float> product)
    {
        TensorPrimitives.Multiply(meanI, meanPThenB, product);
        TensorPrimitives.Subtract(a, product, a);
        TensorPrimitives.Add(varI, epsilon, product);
        TensorPrimitives.Divide(a, product, a);
        TensorPrimitives.Multiply(a, meanI, product);
        TensorPrimitives.Subtract(meanPThenB, product, meanPThenB);
    }

    /// <summary>The guide's own statistics for one radius: mean(I) and var(I) (clamped at 0 against rounding).</summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void GuideStatistics(ReadOnlySpan<float> guide, int width, int height, int radius, Span<float> mean, Span<float> variance, Span<float> scratch)
    {
        int n = width * height;
        Throw.IfShorterThan(scratch.Length, 2L * n + width, "Scratch", nameof(scratch));
        BoxFilter.Mean(guide, width, height, radius, mean, scratch.Slice(n, n + width));
        TensorPrimitives.Multiply(guide[..n], guide[..n], scratch[..n]);
        BoxFilter.Mean(scratch[..n], width, height, radius, variance, scratch.Slice(n, n + width));
        TensorPrimitives.Multiply(mean[..n], mean[..n], scratch[..n]);
        TensorPrimitives.Subtract(variance[..n], scratch[..n], variance[..n]);
        TensorPrimitives.Max(variance[..n], 0f, variance[..n]);
    }
}
