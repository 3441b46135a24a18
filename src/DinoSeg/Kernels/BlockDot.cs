using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DinoSeg.Kernels;

/// <summary>
/// Dot products of a block of query vectors with every vector of a set: the inner loop of the patch graph's
/// nearest-neighbour search. Eight queries share each load of a set vector, so the set streams from cache once per block
/// instead of once per query (one query at a time is bound by the cache's bandwidth, not by the multiply-adds).
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
internal static class BlockDot
{
    /// <summary>Queries per block on the vector path.</summary>
    public const int Block = 8;

    /// <summary>destination[q × count + j] = queries[q] · vectors[j] for every query q and vector j (count = vectors / dim).</summary>
    /// <exception cref="ArgumentException">Lengths are not whole vectors, more than <see cref="Block"/> queries, or destination too short.</exception>
    public static void Compute(ReadOnlySpan<float> vectors, ReadOnlySpan<float> queries, int dim, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (vectors.Length % dim != 0 || queries.Length % dim != 0) Throw.Argument($"Vectors of {dim} values expected, found {vectors.Length} and {queries.Length} values.", nameof(vectors));
        int count = vectors.Length / dim, rows = queries.Length / dim;
        if (rows > Block) Throw.Argument($"At most {Block} queries, found {rows}.", nameof(queries));
        Throw.IfShorterThan(destination.Length, (long)rows * count, "Destination", nameof(destination));

        if (rows == Block && dim >= Vector256<float>.Count && Vector256.IsHardwareAccelerated) EightAtOnce(vectors, queries, dim, count, destination);
        else OneAtATime(vectors, queries, dim, count, rows, destination);
    }

    /// <summary>The reference path: one dot product per pair.</summary>
    internal static void OneAtATime(ReadOnlySpan<float> vectors, ReadOnlySpan<float> queries, int dim, int count, int rows, Span<float> destination)
    {
        for (int q = 0; q < rows; q++)
        {
            ReadOnlySpan<float> query = queries.Slice(q * dim, dim);
            for (int j = 0; j < count; j++) destination[q * count + j] = TensorPrimitives.Dot(vectors.Slice(j * dim, dim), query);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EightAtOnce(ReadOnlySpan<float> vectors, ReadOnlySpan<float> queries, int dim, int count, Span<float> destination)
    {
        // Lengths were checked above: every load below stays inside the spans.
        ref float set = ref MemoryMarshal.GetReference(vectors);
        ref float q = ref MemoryMarshal.GetReference(queries);
        int width = Vector256<float>.Count, full = dim - dim % width;
        nuint d1 = (nuint)dim, d2 = 2 * d1, d3 = 3 * d1, d4 = 4 * d1, d5 = 5 * d1, d6 = 6 * d1, d7 = 7 * d1;
        for (int j = 0; j < count; j++)
        {
            ref float v = ref Unsafe.Add(ref set, j * dim);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            for (int d = 0; d < full; d += width)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref v, (nuint)d);
                ref float qd = ref Unsafe.Add(ref q, d);
                a0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd), a0);
                a1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d1), a1);
                a2 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d2), a2);
                a3 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d3), a3);
                a4 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d4), a4);
                a5 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d5), a5);
                a6 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d6), a6);
                a7 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref qd, d7), a7);
            }

            Span<float> sums = [Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3),
                Vector256.Sum(a4), Vector256.Sum(a5), Vector256.Sum(a6), Vector256.Sum(a7)];
            for (int d = full; d < dim; d++)
            {
                float x = Unsafe.Add(ref v, d);
                for (int r = 0; r < Block; r++) sums[r] += x * Unsafe.Add(ref q, r * dim + d);
            }

            for (int r = 0; r < Block; r++) destination[r * count + j] = sums[r];
        }
    }
}
