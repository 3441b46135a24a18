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

        Span<float> meanP = scratch[..n], product = scratch.Slice(n, n), box = scratch.Slice(2 * n, 2 * n + width);
        ReadOnlySpan<float> I = guide[..n], meanI = guideMean[..n], varI = guideVariance[..n], p = input[..n];

        BoxFilter.Mean(p, width, height, radius, meanP, box);
        TensorPrimitives.Multiply(I, p, product);
        Span<float> a = output[..n]; // output is free until the last step (and p, if it aliases output, is no longer needed after this)
        BoxFilter.Mean(product, width, height, radius, a, box);
        Coefficients(meanI, varI, epsilon, meanP, a, product);

        Span<float> meanA = product;
        BoxFilter.Mean(a, width, height, radius, meanA, box);
        BoxFilter.Mean(meanP, width, height, radius, a, box); // mean(b) into the output span
        TensorPrimitives.MultiplyAdd(meanA, I, a, output[..n]);
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
