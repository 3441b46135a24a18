using System.Numerics.Tensors;

namespace DinoSeg.Kernels;

/// <summary>
/// Mean over a (2r + 1)² window clipped to the image, in O(1) per pixel whatever the radius: a running sum along each row,
/// then a running sum of whole rows down the image (vectorised over the row with <see cref="TensorPrimitives"/>).
/// </summary>
public static class BoxFilter
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
        if (source.Length < n) throw new ArgumentException($"Source must hold {n} values, found {source.Length}.", nameof(source));
        if (destination.Length < n) throw new ArgumentException($"Destination must hold {n} values, found {destination.Length}.", nameof(destination));
        if (scratch.Length < n + width) throw new ArgumentException($"Scratch must hold {n + width} values, found {scratch.Length}.", nameof(scratch));

        Span<float> rows = scratch[..n], sum = scratch.Slice(n, width);
        for (int y = 0; y < height; y++) AlongRow(source.Slice(y * width, width), radius, rows.Slice(y * width, width));

        // Running sum of the row means over rows [y − r, y + r] ∩ [0, height).
        sum.Clear();
        for (int y = 0; y <= Math.Min(radius, height - 1); y++) TensorPrimitives.Add(sum, rows.Slice(y * width, width), sum);
        for (int y = 0; y < height; y++)
        {
            int count = Math.Min(height - 1, y + radius) - Math.Max(0, y - radius) + 1;
            TensorPrimitives.Multiply(sum, 1f / count, destination.Slice(y * width, width));
            int enter = y + radius + 1, leave = y - radius;
            if (enter < height) TensorPrimitives.Add(sum, rows.Slice(enter * width, width), sum);
            if (leave >= 0) TensorPrimitives.Subtract(sum, rows.Slice(leave * width, width), sum);
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
