using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>Applies a separable linear map (one <see cref="AxisWeights"/> per axis) to a row-major 2-D float map.</summary>
/// <remarks>Stateless and thread-safe; concurrent calls need their own scratch and destination spans.</remarks>
internal static class SeparableFilter
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
        // Constant names: a check runs on every call, so its message must cost nothing until it throws.
        Throw.IfLengthIsNot(source.Length, (long)srcRows * srcCols, "Source (source rows x columns)", nameof(source));
        Throw.IfLengthIsNot(destination.Length, (long)dstRows * dstCols, "Destination (destination rows x columns)", nameof(destination));
        Throw.IfShorterThan(scratch.Length, (long)srcRows * dstCols, "Scratch (source rows x destination columns)", nameof(scratch));

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
        Throw.IfShorterThan(row.Length, weights.InputLength, "The row", nameof(row));
        Throw.IfShorterThan(destination.Length, weights.OutputLength, "Destination", nameof(destination));
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
    /// One pass per four vectors keeps every tap and the compare in registers. Unless <paramref name="bounds"/> is empty,
    /// the row's block bounds (<see cref="Threshold.Bounds(ReadOnlySpan{float}, Span{float})"/>) go there, taken from those
    /// registers. Returns the selected count.
    /// </summary>
    internal static int ApplyAcrossRowsAndThreshold(ReadOnlySpan<float> source, int stride, int width, AxisWeights weights, int row,
        float threshold, Span<float> destination, Span<byte> mask, Span<float> bounds = default) =>
        ApplyAcrossRowsAndThreshold(source, stride, width, weights, row, threshold, destination, mask, bounds, Simd.Widest);

    /// <summary><see cref="ApplyAcrossRowsAndThreshold(ReadOnlySpan{float}, int, int, AxisWeights, int, float, Span{float}, Span{byte}, Span{float})"/> at a given width.</summary>
    internal static int ApplyAcrossRowsAndThreshold(ReadOnlySpan<float> source, int stride, int width, AxisWeights weights, int row,
        float threshold, Span<float> destination, Span<byte> mask, Span<float> bounds, SimdWidth simd)
    {
        int taps = weights.Taps, start = weights.Starts[row];
        if ((long)(start + taps - 1) * stride + width > source.Length) Throw.Argument("Source rows do not fit the weights.", nameof(source));
        if (!bounds.IsEmpty) Throw.IfLengthIsNot(bounds.Length, Threshold.BoundsLength(width), "Bounds", nameof(bounds));
        var rowJob = new ThresholdedRow(source.Slice(start * stride), stride, weights.Weights.Slice(row * taps, taps), threshold,
            destination.Slice(row * width, width), mask.Slice(row * width, width), bounds);
        if (taps > MaxVectorTaps) simd = SimdWidth.Scalar; // the weight vectors live on the stack
        int selected = 0, x = simd switch
        {
            SimdWidth.Vector512 => rowJob.Vectors<Lanes512, Vector512<float>>(out selected),
            SimdWidth.Vector256 => rowJob.Vectors<Lanes256, Vector256<float>>(out selected),
            _ => 0,
        };

        return rowJob.Rest(x, selected);
    }

    /// <summary>The most taps the vector paths take (a σ 5 Gaussian upsampled ×16 needs far fewer).</summary>
    private const int MaxVectorTaps = 16;

    /// <summary>The spans of one thresholded output row: the vector loop, then the scalar rest.</summary>
    private readonly ref struct ThresholdedRow(ReadOnlySpan<float> source, int stride, ReadOnlySpan<float> weights, float threshold,
        Span<float> destination, Span<byte> mask, Span<float> bounds)
    {
        private readonly ReadOnlySpan<float> _source = source, _weights = weights;
        private readonly Span<float> _destination = destination, _bounds = bounds;
        private readonly Span<byte> _mask = mask;
        private readonly int _stride = stride;
        private readonly float _threshold = threshold;

        /// <summary>
        /// Four vectors at a time; the bounds of each <see cref="Threshold.BlockWidth"/>-column block from the registers.
        /// Returns the first column left to <see cref="Rest"/>, and the selected count of the columns before it.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Vectors<TLanes, TVector>(out int selected) where TLanes : struct, ILanes<TVector> where TVector : unmanaged
        {
            int taps = _weights.Length, width = _destination.Length, n = TLanes.Count, step = 4 * n, x = 0, count = 0;
            Debug.Assert(taps <= MaxVectorTaps && Threshold.BlockWidth % step == 0);
            Span<TVector> w = stackalloc TVector[taps];
            for (int t = 0; t < taps; t++) w[t] = TLanes.Broadcast(_weights[t]);
            TVector limit = TLanes.Broadcast(_threshold);
            ref float src = ref MemoryMarshal.GetReference(_source);
            ref float d = ref MemoryMarshal.GetReference(_destination);
            ref byte bytes = ref MemoryMarshal.GetReference(_mask);
            ref float bound = ref MemoryMarshal.GetReference(_bounds);
            int blocks = _bounds.Length / 2; // minima, then maxima
            BlockBounds<TLanes, TVector> block = BlockBounds<TLanes, TVector>.Empty;
            for (; x <= width - step; x += step)
            {
                TVector a0 = default, a1 = default, a2 = default, a3 = default;
                for (int t = 0; t < taps; t++)
                {
                    ref float r = ref Unsafe.Add(ref src, t * _stride + x);
                    a0 = TLanes.Add(a0, TLanes.Multiply(TLanes.Load(ref r, 0), w[t]));
                    a1 = TLanes.Add(a1, TLanes.Multiply(TLanes.Load(ref r, (nuint)n), w[t]));
                    a2 = TLanes.Add(a2, TLanes.Multiply(TLanes.Load(ref r, (nuint)(2 * n)), w[t]));
                    a3 = TLanes.Add(a3, TLanes.Multiply(TLanes.Load(ref r, (nuint)(3 * n)), w[t]));
                }

                TLanes.Store(a0, ref d, (nuint)x);
                TLanes.Store(a1, ref d, (nuint)(x + n));
                TLanes.Store(a2, ref d, (nuint)(x + 2 * n));
                TLanes.Store(a3, ref d, (nuint)(x + 3 * n));
                count += TLanes.StoreMaskBytes(TLanes.GreaterThanOrEqual(a0, limit), TLanes.GreaterThanOrEqual(a1, limit),
                    TLanes.GreaterThanOrEqual(a2, limit), TLanes.GreaterThanOrEqual(a3, limit), ref Unsafe.Add(ref bytes, x));
                if (blocks == 0) continue;
                block.Add(a0, a1, a2, a3);
                if ((x + step) % Threshold.BlockWidth == 0) // the block is whole: its bounds, from the registers
                {
                    int k = x / Threshold.BlockWidth;
                    block.Write(ref Unsafe.Add(ref bound, k), ref Unsafe.Add(ref bound, blocks + k));
                    block = BlockBounds<TLanes, TVector>.Empty;
                }
            }

            selected = count; // a local in the loop: an out parameter would live in memory
            return x;
        }

        /// <summary>
        /// The columns from <paramref name="x"/> on, one at a time, and the bounds of the blocks not yet written; returns the
        /// row's count given the <paramref name="selected"/> count before <paramref name="x"/>.
        /// </summary>
        public int Rest(int x, int selected)
        {
            int width = _destination.Length, blocks = _bounds.Length / 2;
            int boundsDone = x - x % Threshold.BlockWidth; // Vectors wrote the bounds of every whole block before this
            for (; x < width; x++)
            {
                float sum = 0;
                for (int t = 0; t < _weights.Length; t++) sum += _weights[t] * _source[t * _stride + x];
                _destination[x] = sum;
                bool on = sum >= _threshold;
                _mask[x] = on ? (byte)255 : (byte)0;
                selected += on ? 1 : 0;
            }

            if (blocks > 0)
            {
                int done = boundsDone / Threshold.BlockWidth;
                Threshold.Bounds(_destination[boundsDone..], _bounds[done..blocks], _bounds[(blocks + done)..]);
            }

            return selected;
        }
    }
}
