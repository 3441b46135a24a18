using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

/// <summary>
/// Projects row vectors onto (nearly) their top principal subspace (uncentred: the directions that best keep dot
/// products), found by a randomised range finder with one power iteration (Halko, Martinsson and Tropp 2011), then
/// L2-normalises each projected row so dot products are cosines again. Deterministic: the random test matrix has a fixed seed.
/// </summary>
internal static class PrincipalProjection
{
    private const int RandomSeed = 20240917;

    /// <summary>n rows of <paramref name="dim"/> values → n rows of <paramref name="target"/> values (target &lt; dim).</summary>
    /// <remarks>Four products with the features (about 4 × n × dim × target multiply-adds), each split over the workers.</remarks>
    public static float[] Project(ReadOnlyMemory<float> rows, int n, int dim, int target)
    {
        // The test matrix Ω and Z = Fᵀ Y are kept transposed (target rows of dim), so every product with F is a set of dot
        // products of F's rows with a few vectors: the blocked kernel of the neighbour search.
        float[] omegaT = TestMatrix(target, dim);
        var job = new ProductJob(rows, n, dim);

        // Y = F Ω (n × target), then one power iteration Y = F (Fᵀ Y) to sharpen the spectrum.
        var y = new float[n * target];
        job.MultiplyRows(omegaT, target, y);
        var zT = new float[target * dim];
        job.SumWeightedRows(y, target, 1, target, zT); // zT row c = Σ_i y[i, c] · F row i
        NormaliseRows(zT, target, dim); // keeps magnitudes near 1 so float32 holds them comfortably
        job.MultiplyRows(zT, target, y);

        // Q: an orthonormal basis of Y's columns (kept transposed, so each is contiguous); B = Qᵀ F, so F ≈ Q B. Gram–Schmidt
        // on B's rows gives B = L V with V orthonormal, so F's coordinates in the basis V are (nearly) F Vᵀ ≈ Q B Vᵀ = Q L:
        // small products (n × target², target² × dim) instead of a fifth pass over the features.
        float[] q = Transpose(y, n, target);
        int rank = Orthonormalise(q, n, target);
        var b = new float[target * dim]; // rows beyond the rank stay zero
        job.SumWeightedRows(q, 1, n, rank, b); // B row c = Σ_i q[c, i] · F row i
        float[] v = (float[])b.Clone();
        Orthonormalise(v, dim, rank);
        var l = new float[target * target];
        for (int c = 0; c < rank; c++)
        {
            for (int k = 0; k < rank; k++) l[c * target + k] = TensorPrimitives.Dot(b.AsSpan(c * dim, dim), v.AsSpan(k * dim, dim));
        }

        // Coordinates, transposed: row k of (Q L)ᵀ = Σ_c L[c, k] · q row c.
        var coordinatesT = new float[target * n];
        for (int k = 0; k < rank; k++)
        {
            Span<float> destination = coordinatesT.AsSpan(k * n, n);
            for (int c = 0; c < rank; c++) TensorPrimitives.MultiplyAdd(q.AsSpan(c * n, n), l[c * target + k], destination, destination);
        }

        float[] projected = Transpose(coordinatesT, target, n);
        NormaliseRows(projected, n, target);
        return projected;
    }

    /// <summary>The products of the features F (n rows of dim) with small matrices, split over the workers by output rows.</summary>
    private sealed class ProductJob : IRangeJob
    {
        private readonly ReadOnlyMemory<float> _rows;
        private readonly int _n, _dim;
        private float[] _matrix = [], _destination = [];
        private int _l, _rowStride, _columnStride;
        private bool _weighted;

        public ProductJob(ReadOnlyMemory<float> rows, int n, int dim)
        {
            _rows = rows;
            _n = n;
            _dim = dim;
        }

        /// <summary>destination (n × l) = F · matrixᵀ, for <paramref name="matrixT"/> given as l rows of dim.</summary>
        public void MultiplyRows(float[] matrixT, int l, float[] destination)
        {
            (_matrix, _l, _destination, _weighted) = (matrixT, l, destination, false);
            int blocks = (_n + BlockDot.Block - 1) / BlockDot.Block;
            // A block costs 8 × l × dim multiply-adds; parts of ~1M keep the wake-ups negligible.
            RangeWorkers.Shared.For(this, blocks, Math.Max(1, (1 << 20) / Math.Max(1, BlockDot.Block * l * _dim)));
        }

        /// <summary>
        /// destination row c (of <paramref name="count"/>, each dim long) = Σ_i w(i, c) · F row i, where w(i, c) is
        /// weights[i × <paramref name="rowStride"/> + c × <paramref name="columnStride"/>] (so the weights may be stored either way round).
        /// </summary>
        public void SumWeightedRows(float[] weights, int rowStride, int columnStride, int count, float[] destination)
        {
            (_matrix, _rowStride, _columnStride, _destination, _weighted) = (weights, rowStride, columnStride, destination, true);
            destination.AsSpan(0, count * _dim).Clear();
            // An output row costs n × dim multiply-adds.
            RangeWorkers.Shared.For(this, count, Math.Max(1, (1 << 20) / Math.Max(1, _n * _dim)));
        }

        public void Run(int start, int end)
        {
            if (_weighted) SumRange(start, end);
            else MultiplyRange(start, end);
        }

        private void MultiplyRange(int startBlock, int endBlock)
        {
            // A block of 8 rows gives 8 rows of l dot products, which is exactly the block's part of destination.
            for (int block = startBlock; block < endBlock; block++)
            {
                int first = block * BlockDot.Block, count = Math.Min(BlockDot.Block, _n - first);
                BlockDot.Compute(_matrix, _rows.Span.Slice(first * _dim, count * _dim), _dim, _destination.AsSpan(first * _l, count * _l));
            }
        }

        private void SumRange(int startRow, int endRow)
        {
            // F's rows in blocks of eight, each block read from L1 while it adds into every destination row of the range: a
            // destination row is read and written once per block, not once per row of F (which bounded this product).
            int dim = _dim;
            ReadOnlySpan<float> rows = _rows.Span;
            Span<float> weights = stackalloc float[BlockDot.Block];
            for (int first = 0; first < _n; first += BlockDot.Block)
            {
                int count = Math.Min(BlockDot.Block, _n - first);
                ReadOnlySpan<float> block = rows.Slice(first * dim, count * dim);
                for (int c = startRow; c < endRow; c++)
                {
                    for (int r = 0; r < count; r++) weights[r] = _matrix[(first + r) * _rowStride + c * _columnStride];
                    AddWeightedRows(block, weights[..count], dim, _destination.AsSpan(c * dim, dim));
                }
            }
        }
    }

    /// <summary>
    /// target[d] += Σ_r weights[r] · rows[r × dim + d], the terms added one row after another with a separate multiply and add,
    /// as one <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/> per row
    /// would: the same bits, with target loaded and stored once.
    /// </summary>
    internal static void AddWeightedRows(ReadOnlySpan<float> rows, ReadOnlySpan<float> weights, int dim, Span<float> target)
    {
        int count = weights.Length;
        if (rows.Length < count * dim || target.Length < dim) Throw.Argument($"Expected {count} rows of {dim} values and a target of {dim}.", nameof(rows));
        ref float row0 = ref MemoryMarshal.GetReference(rows);
        ref float t = ref MemoryMarshal.GetReference(target);
        int d = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Four independent sums at a time: each one's adds must stay in order, so one alone waits on its add's latency.
            int width = Vector256<float>.Count;
            nuint w1 = (nuint)width, w2 = 2 * w1, w3 = 3 * w1;
            for (; d <= dim - 4 * width; d += 4 * width)
            {
                ref float at = ref Unsafe.Add(ref t, d);
                Vector256<float> s0 = Vector256.LoadUnsafe(ref at), s1 = Vector256.LoadUnsafe(ref at, w1);
                Vector256<float> s2 = Vector256.LoadUnsafe(ref at, w2), s3 = Vector256.LoadUnsafe(ref at, w3);
                for (int r = 0; r < count; r++)
                {
                    ref float x = ref Unsafe.Add(ref row0, r * dim + d);
                    Vector256<float> weight = Vector256.Create(weights[r]);
                    s0 += Vector256.LoadUnsafe(ref x) * weight;
                    s1 += Vector256.LoadUnsafe(ref x, w1) * weight;
                    s2 += Vector256.LoadUnsafe(ref x, w2) * weight;
                    s3 += Vector256.LoadUnsafe(ref x, w3) * weight;
                }

                s0.StoreUnsafe(ref at);
                s1.StoreUnsafe(ref at, w1);
                s2.StoreUnsafe(ref at, w2);
                s3.StoreUnsafe(ref at, w3);
            }

            for (; d <= dim - width; d += width)
            {
                Vector256<float> sum = Vector256.LoadUnsafe(ref t, (nuint)d);
                for (int r = 0; r < count; r++) sum += Vector256.LoadUnsafe(ref row0, (nuint)(r * dim + d)) * weights[r];
                sum.StoreUnsafe(ref t, (nuint)d);
            }
        }

        for (; d < dim; d++)
        {
            float sum = Unsafe.Add(ref t, d);
            for (int r = 0; r < count; r++) sum += Unsafe.Add(ref row0, r * dim + d) * weights[r];
            Unsafe.Add(ref t, d) = sum;
        }
    }

    private static void NormaliseRows(float[] matrix, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = matrix.AsSpan(r * cols, cols);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
    }

    private static float[] Transpose(float[] matrix, int rows, int cols)
    {
        var t = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) t[c * rows + r] = matrix[r * cols + c];
        }

        return t;
    }

    /// <summary>
    /// Modified Gram–Schmidt, twice per vector (enough for float32 to stay orthogonal), over the l rows of length n;
    /// vectors that vanish against the earlier ones (rank below l) are dropped. Returns how many rows are kept (at the front);
    /// the rows after them are zero.
    /// </summary>
    private static int Orthonormalise(float[] rows, int n, int l)
    {
        int kept = 0;
        for (int r = 0; r < l; r++)
        {
            Span<float> v = rows.AsSpan(r * n, n);
            float before = TensorPrimitives.Norm(v);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int c = 0; c < kept; c++)
                {
                    ReadOnlySpan<float> u = rows.AsSpan(c * n, n);
                    TensorPrimitives.MultiplyAdd(u, -TensorPrimitives.Dot(u, v), v, v);
                }
            }

            float norm = TensorPrimitives.Norm(v);
            if (!(norm > 1e-4f * before) || norm == 0) continue;
            TensorPrimitives.Divide(v, norm, v);
            if (kept != r) v.CopyTo(rows.AsSpan(kept * n, n));
            kept++;
        }

        rows.AsSpan(kept * n, (l - kept) * n).Clear();
        return kept;
    }

    // The last test matrix drawn: a backbone's images all ask for the same size, and drawing one (a logarithm, a square root,
    // a sine and a cosine per pair of values) costs about a sixth of the projection. Never written once published.
    private static DrawnMatrix? _lastTestMatrix;

    /// <summary>The Gaussian test matrix Ω, <paramref name="rows"/> × <paramref name="cols"/>: drawn again only when the size changes. Read it, never write it.</summary>
    private static float[] TestMatrix(int rows, int cols)
    {
        if (Volatile.Read(ref _lastTestMatrix) is { } last && last.Rows == rows && last.Cols == cols) return last.Values;
        float[] matrix = GaussianMatrix(rows, cols);
        Volatile.Write(ref _lastTestMatrix, new DrawnMatrix(rows, cols, matrix));
        return matrix;
    }

    private sealed record DrawnMatrix(int Rows, int Cols, float[] Values);

    private static float[] GaussianMatrix(int rows, int cols)
    {
        // System.Random with a seed is the same sequence on every .NET version, so the projection is reproducible.
        var random = new Random(RandomSeed);
        var matrix = new float[rows * cols];
        for (int i = 0; i < matrix.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2 * Math.Log(u1));
            matrix[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < matrix.Length) matrix[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }

        return matrix;
    }
}
