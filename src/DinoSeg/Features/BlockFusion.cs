using System.Buffers;
using System.Numerics.Tensors;
using DinoSeg.Kernels;

namespace DinoSeg;

/// <summary>
/// Writes the blocks of a multi-output backbone (<see cref="Backbone.Blocks"/>) side by side into one vector per patch:
/// each channel-major map is resampled onto the patch grid, centred per channel, transposed into its columns of the
/// patch-major result, L2-normalised there and weighted. The caller normalises the concatenation (<see cref="PatchFeatures"/>
/// does when it adopts the array).
/// </summary>
internal static class BlockFusion
{
    // Rows up to this many floats are summed on the stack (4 KiB); longer ones in a pooled array.
    private const int StackFloats = 1024;

    /// <summary>
    /// One block: <paramref name="map"/> is <c>[channels, mapRows, mapCols]</c>; the result goes to channels
    /// [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="channels"/>) of the <paramref name="dim"/>-long
    /// vectors of a rows × cols grid in <paramref name="destination"/>. A finer map (mapRows = f·rows, mapCols = f·cols) is
    /// averaged over f × f cells; a coarser one is upsampled bilinearly (align-corners false, as the per-click upsampler);
    /// one at the grid's size is taken as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The map is neither an integer multiple of the grid nor at most its size.</exception>
    /// <exception cref="DinoSegModelException">The map holds NaN or infinity.</exception>
    public static void WriteBlock(ReadOnlySpan<float> map, int channels, int mapRows, int mapCols, int rows, int cols, bool centre, float weight,
        Span<float> destination, int dim, int offset)
    {
        int patches = rows * cols;
        if (map.Length != (long)channels * mapRows * mapCols) throw new ArgumentException($"Expected {channels}x{mapRows}x{mapCols} values, found {map.Length}.", nameof(map));
        if (mapRows == rows && mapCols == cols)
        {
            FeatureLayout.ChannelMajorToPatchMajor(map, channels, patches, centre, destination, dim, offset);
            if (centre) ZeroConstantChannels(map, channels, patches, destination, dim, offset);
        }
        else
        {
            float[] rented = ArrayPool<float>.Shared.Rent(channels * patches);
            try
            {
                Span<float> planes = rented.AsSpan(0, channels * patches);
                if (mapRows > rows && mapRows % rows == 0 && mapCols == mapRows / rows * cols)
                {
                    Pool(map, channels, mapRows / rows, rows, cols, planes);
                }
                else if (mapRows <= rows && mapCols <= cols)
                {
                    Upsample(map, channels, mapRows, mapCols, rows, cols, planes);
                }
                else
                {
                    throw new ArgumentException($"A {mapRows}x{mapCols} map fits a {rows}x{cols} grid neither by whole cells nor by upsampling.", nameof(map));
                }

                FeatureLayout.ChannelMajorToPatchMajor(planes, channels, patches, centre, destination, dim, offset);
                if (centre) ZeroConstantChannels(planes, channels, patches, destination, dim, offset);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }

        NormaliseBlock(destination, patches, dim, offset, channels, weight);
    }

    /// <summary>
    /// Sets channels whose plane is constant to exactly 0 after centring. Their float mean can be a rounding step off the
    /// value, and normalising the block would blow that step up to a unit vector when the whole block is constant (e.g. a
    /// stride-32 map of one cell, upsampled).
    /// </summary>
    private static void ZeroConstantChannels(ReadOnlySpan<float> planes, int channels, int patches, Span<float> destination, int dim, int offset)
    {
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = planes.Slice(c * patches, patches);
            if (TensorPrimitives.Min(plane) != TensorPrimitives.Max(plane)) continue;
            for (int p = 0; p < patches; p++) destination[p * dim + offset + c] = 0;
        }
    }

    /// <summary>Mean of each f × f group of cells: <c>[channels, f·rows, f·cols]</c> → <c>[channels, rows, cols]</c>.</summary>
    internal static void Pool(ReadOnlySpan<float> map, int channels, int f, int rows, int cols, Span<float> planes)
    {
        int mapCols = f * cols, mapPlane = f * rows * mapCols, patches = rows * cols;
        float[]? rented = mapCols > StackFloats ? ArrayPool<float>.Shared.Rent(mapCols) : null;
        Span<float> rowSum = rented is null ? stackalloc float[StackFloats] : rented;
        rowSum = rowSum[..mapCols];
        float scale = 1f / (f * f);
        try
        {
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> source = map.Slice(c * mapPlane, mapPlane);
                Span<float> target = planes.Slice(c * patches, patches);
                for (int r = 0; r < rows; r++)
                {
                    // The f source rows summed with vector adds, then f neighbours per output cell.
                    source.Slice(r * f * mapCols, mapCols).CopyTo(rowSum);
                    for (int dy = 1; dy < f; dy++) TensorPrimitives.Add(rowSum, source.Slice((r * f + dy) * mapCols, mapCols), rowSum);
                    Span<float> output = target.Slice(r * cols, cols);
                    for (int col = 0; col < cols; col++)
                    {
                        float sum = 0;
                        for (int dx = 0; dx < f; dx++) sum += rowSum[col * f + dx];
                        output[col] = sum * scale;
                    }
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Bilinear resize of each plane, <c>[channels, mapRows, mapCols]</c> → <c>[channels, rows, cols]</c>, with the weights of
    /// <see cref="AxisWeights.BilinearThenGaussian"/> at σ = 0 (torch <c>align_corners=False</c>): along x per source row,
    /// then along y with vector multiply-adds over whole rows.
    /// </summary>
    internal static void Upsample(ReadOnlySpan<float> map, int channels, int mapRows, int mapCols, int rows, int cols, Span<float> planes)
    {
        AxisWeights ys = AxisWeights.BilinearThenGaussian(mapRows, rows, 0);
        AxisWeights xs = AxisWeights.BilinearThenGaussian(mapCols, cols, 0);
        int mapPlane = mapRows * mapCols, patches = rows * cols;
        float[] rented = ArrayPool<float>.Shared.Rent(mapRows * cols);
        try
        {
            Span<float> alongX = rented.AsSpan(0, mapRows * cols);
            ReadOnlySpan<int> xStarts = xs.Starts, yStarts = ys.Starts;
            ReadOnlySpan<float> xWeights = xs.Weights, yWeights = ys.Weights;
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> source = map.Slice(c * mapPlane, mapPlane);
                for (int y = 0; y < mapRows; y++)
                {
                    ReadOnlySpan<float> row = source.Slice(y * mapCols, mapCols);
                    Span<float> output = alongX.Slice(y * cols, cols);
                    for (int x = 0; x < cols; x++)
                    {
                        ReadOnlySpan<float> taps = row.Slice(xStarts[x], xs.Taps);
                        ReadOnlySpan<float> w = xWeights.Slice(x * xs.Taps, xs.Taps);
                        float sum = 0;
                        for (int t = 0; t < taps.Length; t++) sum += w[t] * taps[t];
                        output[x] = sum;
                    }
                }

                Span<float> target = planes.Slice(c * patches, patches);
                for (int r = 0; r < rows; r++)
                {
                    Span<float> output = target.Slice(r * cols, cols);
                    int start = yStarts[r];
                    TensorPrimitives.Multiply(alongX.Slice(start * cols, cols), yWeights[r * ys.Taps], output);
                    for (int t = 1; t < ys.Taps; t++)
                    {
                        TensorPrimitives.MultiplyAdd(alongX.Slice((start + t) * cols, cols), yWeights[r * ys.Taps + t], output, output);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Scales channels [offset, offset + channels) of every vector to length <paramref name="weight"/> (a zero part stays zero).</summary>
    internal static void NormaliseBlock(Span<float> vectors, int patches, int dim, int offset, int channels, float weight)
    {
        for (int p = 0; p < patches; p++)
        {
            Span<float> v = vectors.Slice(p * dim + offset, channels);
            float norm = TensorPrimitives.Norm(v);
            if (!float.IsFinite(norm))
            {
                // Finite values so large their squares overflow (NaN and infinity were refused when the block was written).
                TensorPrimitives.Divide(v, TensorPrimitives.MaxMagnitude(v), v);
                norm = TensorPrimitives.Norm(v);
            }

            if (norm > 0) TensorPrimitives.Multiply(v, weight / norm, v);
        }
    }
}
