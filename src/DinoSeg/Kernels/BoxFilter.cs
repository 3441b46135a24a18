using System.Numerics.Tensors;

namespace DinoSeg.Kernels;

/// <summary>
/// Mean over a (2r + 1)² window clipped to the image, in O(1) per pixel whatever the radius: a running sum along each row,
/// then a running sum of whole rows down the image (vectorised over the row with <see cref="TensorPrimitives"/>).
/// </summary>
internal static class BoxFilter
{
    /// <summary>Writes the clipped-window mean of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    /// <param name="source">width × height values, row-major.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="radius">Window radius r ≥ 0 (the window is 2r + 1 pixels wide and high, clipped at the borders).</param>
    /// <param name="destination">width × height values; may not overlap <paramref name="source"/>.</param>
    /// <param name="scratch">width × height + width values of scratch space.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void Mean(ReadOnlySpan<float> source, int width, int height, int radius, Span<float> destination, Span<float> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        int n = width * height;
        Throw.IfShorterThan(source.Length, n, "Source", nameof(source));
        Throw.IfShorterThan(destination.Length, n, "Destination", nameof(destination));
        Throw.IfShorterThan(scratch.Length, n + width, "Scratch", nameof(scratch));

        Span<float> rows = scratch[..n], sum = scratch.Slice(n, width);
        RowMeans(source, width, radius, rows, 0, height);
        ColumnMeans(rows, width, height, radius, destination, sum, 0, width);
    }

    /// <summary>First pass of <see cref="Mean"/>, rows [y0, y1) only: the mean along each row into <paramref name="rows"/>.</summary>
    internal static void RowMeans(ReadOnlySpan<float> source, int width, int radius, Span<float> rows, int y0, int y1)
    {
        for (int y = y0; y < y1; y++) AlongRow(source.Slice(y * width, width), radius, rows.Slice(y * width, width));
    }

    /// <summary>
    /// Second pass of <see cref="Mean"/>, columns [x0, x1) only (each column's result does not depend on the others, so
    /// strips can run on different threads with bit-identical results). <paramref name="sum"/> is width values; only
    /// [x0, x1) of it is used.
    /// </summary>
    internal static void ColumnMeans(ReadOnlySpan<float> rows, int width, int height, int radius, Span<float> destination, Span<float> sum,
        int x0, int x1)
    {
        // Running sum of the row means over rows [y − r, y + r] ∩ [0, height).
        int strip = x1 - x0;
        Span<float> total = sum.Slice(x0, strip);
        total.Clear();
        for (int y = 0; y <= Math.Min(radius, height - 1); y++) TensorPrimitives.Add(total, rows.Slice(y * width + x0, strip), total);
        for (int y = 0; y < height; y++)
        {
            int count = Math.Min(height - 1, y + radius) - Math.Max(0, y - radius) + 1;
            TensorPrimitives.Multiply(total, 1f / count, destination.Slice(y * width + x0, strip));
            int enter = y + radius + 1, leave = y - radius;
            if (enter < height) TensorPrimitives.Add(total, rows.Slice(enter * width + x0, strip), total);
            if (leave >= 0) TensorPrimitives.Subtract(total, rows.Slice(leave * width + x0, strip), total);
        }
    }

    private static void AlongRow(ReadOnlySpan<float> row, int radius, Span<float> mean)
    {
        int width = row.Length;
        double sum = 0; // double: a running sum over a long row must not drift
        for (int x = 0; x <= Math.Min(radius, width - 1); x++) sum += row[x];
        for (int x = 0; x < width; x++)
        {
            int count = Math.Min(width - 1, x + radius) - Math.Max(0, x - radius) + 1;
            mean[x] = (float)(sum / count);
            int enter = x + radius + 1, leave = x - radius;
            if (enter < width) sum += row[enter];
            if (leave >= 0) sum -= row[leave];
        }
    }
}
