using System.Numerics.Tensors;

namespace DinoSeg.Kernels;

/// <summary>
/// Full-resolution Gaussian blur with the semantics of <c>scipy.ndimage.gaussian_filter(mode="reflect", truncate=4)</c>,
/// for maps already at image size (the soft mask). Rows: each tap is one vectorised multiply-add over a border-padded row.
/// </summary>
public static class GaussianBlur
{
    /// <summary>Scratch length <see cref="Apply"/> needs for a map of this size and σ.</summary>
    public static int ScratchLength(int rows, int cols, double sigma)
    {
        AxisWeights.ValidateSigma(sigma);
        return rows * cols + cols + 2 * AxisWeights.GaussianRadius(sigma);
    }

    /// <summary>Blurs <paramref name="source"/> (rows × cols) into <paramref name="destination"/>.</summary>
    /// <param name="source">Input map.</param>
    /// <param name="columnWeights">Vertical pass: <see cref="AxisWeights.Gaussian"/> over the rows.</param>
    /// <param name="kernel">Horizontal pass: the 1-D kernel (odd length, centred).</param>
    /// <param name="cols">Row length.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/> values.</param>
    /// <param name="destination">Output, same size as the source.</param>
    internal static void Apply(ReadOnlySpan<float> source, AxisWeights columnWeights, ReadOnlySpan<float> kernel, int cols, Span<float> scratch, Span<float> destination)
    {
        int rows = columnWeights.OutputLength;
        int radius = kernel.Length / 2;
        Span<float> vertical = scratch[..(rows * cols)];
        Span<float> padded = scratch.Slice(rows * cols, cols + 2 * radius);
        SeparableFilter.ApplyAcrossRows(source, cols, columnWeights, vertical);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = vertical.Slice(r * cols, cols);
            row.CopyTo(padded.Slice(radius, cols));
            for (int k = 1; k <= radius; k++)
            {
                padded[radius - k] = row[AxisWeights.Reflect(-k, cols)];
                padded[radius + cols - 1 + k] = row[AxisWeights.Reflect(cols - 1 + k, cols)];
            }

            Span<float> dst = destination.Slice(r * cols, cols);
            TensorPrimitives.Multiply(padded[..cols], kernel[0], dst);
            for (int k = 1; k < kernel.Length; k++) TensorPrimitives.MultiplyAdd(padded.Slice(k, cols), kernel[k], dst, dst);
        }
    }
}
