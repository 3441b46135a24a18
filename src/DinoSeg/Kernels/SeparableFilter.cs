using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DinoSeg.Kernels;

/// <summary>Applies a separable linear map (one <see cref="AxisWeights"/> per axis) to a row-major 2-D float map.</summary>
/// <remarks>Stateless and thread-safe; concurrent calls need their own scratch and destination spans.</remarks>
public static class SeparableFilter
{
    /// <summary>Scratch length <see cref="Apply"/> needs: source rows × destination columns.</summary>
    /// <exception cref="ArgumentNullException">A weight set is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The length does not fit one buffer.</exception>
    public static int ScratchLength(AxisWeights rowWeights, AxisWeights colWeights)
    {
        ArgumentNullException.ThrowIfNull(rowWeights);
        ArgumentNullException.ThrowIfNull(colWeights);
        long length = (long)rowWeights.InputLength * colWeights.OutputLength;
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(colWeights), "Source rows x destination columns is too large for one buffer.");
        return (int)length;
    }

    /// <summary>
    /// destination = R · source · Cᵀ, where R maps rows (<paramref name="rowWeights"/>) and C maps columns
    /// (<paramref name="colWeights"/>). Columns first, on the (small) source rows; then each destination row is a
    /// weighted sum of a few intermediate rows, vectorised along the row.
    /// </summary>
    /// <exception cref="ArgumentNullException">A weight set is null.</exception>
    /// <exception cref="ArgumentException">A span's length does not fit the weights.</exception>
    public static void Apply(ReadOnlySpan<float> source, AxisWeights rowWeights, AxisWeights colWeights, Span<float> scratch, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(rowWeights);
        ArgumentNullException.ThrowIfNull(colWeights);
        int srcRows = rowWeights.InputLength, srcCols = colWeights.InputLength;
        int dstRows = rowWeights.OutputLength, dstCols = colWeights.OutputLength;
        if (source.Length != (long)srcRows * srcCols) throw new ArgumentException($"Source must hold {srcRows}x{srcCols} values.", nameof(source));
        if (destination.Length != (long)dstRows * dstCols) throw new ArgumentException($"Destination must hold {dstRows}x{dstCols} values.", nameof(destination));
        if (scratch.Length < (long)srcRows * dstCols) throw new ArgumentException($"Scratch must hold at least {srcRows}x{dstCols} values.", nameof(scratch));

        for (int r = 0; r < srcRows; r++)
        {
            ApplyAlongRow(source.Slice(r * srcCols, srcCols), colWeights, scratch.Slice(r * dstCols, dstCols));
        }

        ApplyAcrossRows(scratch[..(srcRows * dstCols)], dstCols, rowWeights, destination);
    }

    /// <summary>destination[o] = Σ_t w[o,t] · row[start[o] + t].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ApplyAlongRow(ReadOnlySpan<float> row, AxisWeights weights, Span<float> destination)
    {
        int taps = weights.Taps;
        if (row.Length < weights.InputLength || destination.Length < weights.OutputLength) throw new ArgumentException("Row lengths do not fit the weights.", nameof(row));
        // Bounds were checked once above and by AxisWeights' construction (start + taps ≤ input length).
        ref float input = ref MemoryMarshal.GetReference(row);
        ref float w = ref MemoryMarshal.GetReference(weights.Weights);
        ref int starts = ref MemoryMarshal.GetReference(weights.Starts);
        for (int o = 0; o < weights.OutputLength; o++)
        {
            ref float window = ref Unsafe.Add(ref input, Unsafe.Add(ref starts, o));
            ref float wo = ref Unsafe.Add(ref w, o * taps);
            float sum = 0;
            for (int t = 0; t < taps; t++) sum += Unsafe.Add(ref wo, t) * Unsafe.Add(ref window, t);
            destination[o] = sum;
        }
    }

    /// <summary>Row o of destination = Σ_t w[o,t] · (row start[o] + t of source); rows are <paramref name="width"/> long.</summary>
    internal static void ApplyAcrossRows(ReadOnlySpan<float> source, int width, AxisWeights weights, Span<float> destination) =>
        ApplyAcrossRows(source, width, width, weights, 0, weights.OutputLength, destination);

    /// <summary>
    /// Output rows [first, end) of the across-rows pass; source rows are <paramref name="stride"/> apart (padding keeps rows
    /// that are a multiple of 4 KiB apart from colliding in the cache), destination rows are packed. <paramref name="source"/>
    /// may hold only the rows from <paramref name="sourceOrigin"/> on (a band of a larger image).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ApplyAcrossRows(ReadOnlySpan<float> source, int stride, int width, AxisWeights weights, int first, int end, Span<float> destination,
        int sourceOrigin = 0)
    {
        int taps = weights.Taps;
        ReadOnlySpan<int> starts = weights.Starts;
        ReadOnlySpan<float> w = weights.Weights;
        for (int o = first; o < end; o++)
        {
            Span<float> dst = destination.Slice(o * width, width);
            int start = starts[o] - sourceOrigin;
            TensorPrimitives.Multiply(source.Slice(start * stride, width), w[o * taps], dst);
            for (int t = 1; t < taps; t++)
            {
                float wt = w[o * taps + t];
                if (wt != 0) TensorPrimitives.MultiplyAdd(source.Slice((start + t) * stride, width), wt, dst, dst);
            }
        }
    }

    /// <summary>
    /// One output row of the across-rows pass, thresholded on the fly: destination row <paramref name="row"/> =
    /// Σ_t w[row,t] · (source row start[row] + t), and mask row = 255 where that is ≥ <paramref name="threshold"/>.
    /// One pass per 64 floats keeps every tap and the compare in registers. Unless <paramref name="bounds"/> is empty, the
    /// row's block bounds (<see cref="Threshold.Bounds(ReadOnlySpan{float}, Span{float})"/>) go there, taken from those
    /// registers. Returns the selected count.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int ApplyAcrossRowsAndThreshold(ReadOnlySpan<float> source, int stride, int width, AxisWeights weights, int row,
        float threshold, Span<float> destination, Span<byte> mask, Span<float> bounds = default)
    {
        int taps = weights.Taps, start = weights.Starts[row];
        ReadOnlySpan<float> w = weights.Weights.Slice(row * taps, taps);
        if ((long)(start + taps - 1) * stride + width > source.Length) throw new ArgumentException("Source rows do not fit the weights.", nameof(source));
        Span<float> dst = destination.Slice(row * width, width);
        Span<byte> bytes = mask.Slice(row * width, width);
        ref float src = ref MemoryMarshal.GetReference(source.Slice(start * stride));
        int x = 0, selected = 0;
        bool withBounds = !bounds.IsEmpty;
        if (withBounds && bounds.Length != Threshold.BoundsLength(width)) throw new ArgumentException("Bounds do not fit the row.", nameof(bounds));
        ref float bound = ref MemoryMarshal.GetReference(bounds);
        int blocks = bounds.Length / 2; // minima, then maxima
        int boundsDone = 0; // the blocks before this column already have their bounds
        if (Vector512.IsHardwareAccelerated && taps <= 16)
        {
            Span<Vector512<float>> wv = stackalloc Vector512<float>[taps];
            for (int t = 0; t < taps; t++) wv[t] = Vector512.Create(w[t]);
            var limit = Vector512.Create(threshold);
            ref float d = ref MemoryMarshal.GetReference(dst);
            for (; x <= width - 64; x += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = 0; t < taps; t++)
                {
                    ref float r = ref Unsafe.Add(ref src, t * stride + x);
                    a0 += Vector512.LoadUnsafe(ref r) * wv[t];
                    a1 += Vector512.LoadUnsafe(ref r, 16) * wv[t];
                    a2 += Vector512.LoadUnsafe(ref r, 32) * wv[t];
                    a3 += Vector512.LoadUnsafe(ref r, 48) * wv[t];
                }

                a0.StoreUnsafe(ref d, (nuint)x);
                a1.StoreUnsafe(ref d, (nuint)(x + 16));
                a2.StoreUnsafe(ref d, (nuint)(x + 32));
                a3.StoreUnsafe(ref d, (nuint)(x + 48));
                var on = Vector512.Narrow(
                    Vector512.Narrow(Vector512.GreaterThanOrEqual(a0, limit).AsInt32(), Vector512.GreaterThanOrEqual(a1, limit).AsInt32()),
                    Vector512.Narrow(Vector512.GreaterThanOrEqual(a2, limit).AsInt32(), Vector512.GreaterThanOrEqual(a3, limit).AsInt32())).AsByte();
                on.CopyTo(bytes.Slice(x, 64));
                selected += BitOperations.PopCount(on.ExtractMostSignificantBits());
                // One iteration is one bounds block (Threshold.BlockWidth = 64), taken from the registers.
                if (withBounds) Threshold.BlockBounds(a0, a1, a2, a3, ref Unsafe.Add(ref bound, x / Threshold.BlockWidth), ref Unsafe.Add(ref bound, blocks + x / Threshold.BlockWidth));
            }

            boundsDone = x;
        }
        else if (Vector256.IsHardwareAccelerated && taps <= 16)
        {
            Span<Vector256<float>> wv = stackalloc Vector256<float>[taps];
            for (int t = 0; t < taps; t++) wv[t] = Vector256.Create(w[t]);
            var limit = Vector256.Create(threshold);
            ref float d = ref MemoryMarshal.GetReference(dst);
            for (; x <= width - 32; x += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = 0; t < taps; t++)
                {
                    ref float r = ref Unsafe.Add(ref src, t * stride + x);
                    a0 += Vector256.LoadUnsafe(ref r) * wv[t];
                    a1 += Vector256.LoadUnsafe(ref r, 8) * wv[t];
                    a2 += Vector256.LoadUnsafe(ref r, 16) * wv[t];
                    a3 += Vector256.LoadUnsafe(ref r, 24) * wv[t];
                }

                a0.StoreUnsafe(ref d, (nuint)x);
                a1.StoreUnsafe(ref d, (nuint)(x + 8));
                a2.StoreUnsafe(ref d, (nuint)(x + 16));
                a3.StoreUnsafe(ref d, (nuint)(x + 24));
                var on = Vector256.Narrow(
                    Vector256.Narrow(Vector256.GreaterThanOrEqual(a0, limit).AsInt32(), Vector256.GreaterThanOrEqual(a1, limit).AsInt32()),
                    Vector256.Narrow(Vector256.GreaterThanOrEqual(a2, limit).AsInt32(), Vector256.GreaterThanOrEqual(a3, limit).AsInt32())).AsByte();
                on.CopyTo(bytes.Slice(x, 32));
                selected += BitOperations.PopCount(on.ExtractMostSignificantBits());
            }
        }

        for (; x < width; x++)
        {
            float sum = 0;
            for (int t = 0; t < taps; t++) sum += w[t] * Unsafe.Add(ref src, t * stride + x);
            dst[x] = sum;
            bool on = sum >= threshold;
            bytes[x] = on ? (byte)255 : (byte)0;
            selected += on ? 1 : 0;
        }

        if (withBounds)
        {
            int done = boundsDone / Threshold.BlockWidth;
            Threshold.Bounds(dst[boundsDone..], bounds[done..blocks], bounds[(blocks + done)..]);
        }
        return selected;
    }
}
