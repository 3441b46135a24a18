using System.Numerics.Tensors;
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
        float[] omegaT = GaussianMatrix(target, dim);
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
            int dim = _dim;
            ReadOnlySpan<float> rows = _rows.Span;
            for (int i = 0; i < _n; i++)
            {
                ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
                for (int c = startRow; c < endRow; c++)
                {
                    Span<float> target = _destination.AsSpan(c * dim, dim);
                    TensorPrimitives.MultiplyAdd(row, _matrix[i * _rowStride + c * _columnStride], target, target);
                }
            }
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
