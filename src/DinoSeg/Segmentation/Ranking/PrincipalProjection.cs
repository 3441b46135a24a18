using System.Numerics.Tensors;
using DinoSeg.Kernels;

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
    public static float[] Project(ReadOnlySpan<float> rows, int n, int dim, int target)
    {
        // The test matrix Ω and Z = Fᵀ Y are kept transposed (target rows of dim), so every product with F is a set of dot
        // products of F's rows with a few vectors: the blocked kernel of the neighbour search.
        float[] omegaT = GaussianMatrix(target, dim);

        // Y = F Ω (n × target), then one power iteration Y = F (Fᵀ Y) to sharpen the spectrum.
        var y = new float[n * target];
        MultiplyRows(rows, n, dim, omegaT, target, y);
        var zT = new float[target * dim];
        SumWeightedRows(rows, n, dim, y, target, 1, target, zT); // zT row c = Σ_i y[i, c] · F row i
        NormaliseRows(zT, target, dim); // keeps magnitudes near 1 so float32 holds them comfortably
        MultiplyRows(rows, n, dim, zT, target, y);

        // Q: an orthonormal basis of Y's columns (kept transposed, so each is contiguous); then B = Qᵀ F, whose rows span
        // the row space F has along Q, i.e. (nearly) its top principal subspace. Orthonormal rows V of B are the basis.
        float[] q = Transpose(y, n, target);
        int rank = Orthonormalise(q, n, target);
        var basis = new float[target * dim]; // rows beyond the rank stay zero
        SumWeightedRows(rows, n, dim, q, 1, n, rank, basis); // basis row c = Σ_i q[c, i] · F row i

        Orthonormalise(basis, dim, rank);

        // Coordinates in that basis: dot products within the subspace are kept exactly, the rest of each vector dropped.
        var projected = new float[n * target];
        MultiplyRows(rows, n, dim, basis, target, projected);
        NormaliseRows(projected, n, target);

        return projected;
    }

    /// <summary>destination (n × l) = rows (n × dim) · matrixᵀ, for <paramref name="matrixT"/> given as l rows of dim.</summary>
    private static void MultiplyRows(ReadOnlySpan<float> rows, int n, int dim, float[] matrixT, int l, float[] destination)
    {
        // A block of 8 rows gives 8 rows of l dot products, which is exactly the block's part of destination.
        for (int first = 0; first < n; first += BlockDot.Block)
        {
            int count = Math.Min(BlockDot.Block, n - first);
            BlockDot.Compute(matrixT, rows.Slice(first * dim, count * dim), dim, destination.AsSpan(first * l, count * l));
        }
    }

    /// <summary>
    /// destination row c (of <paramref name="count"/>, each dim long) = Σ_i w(i, c) · rows[i], where w(i, c) is
    /// weights[i × <paramref name="rowStride"/> + c × <paramref name="columnStride"/>] (so the weights may be stored either way round).
    /// </summary>
    private static void SumWeightedRows(ReadOnlySpan<float> rows, int n, int dim, float[] weights, int rowStride, int columnStride, int count,
        float[] destination)
    {
        destination.AsSpan(0, count * dim).Clear();
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
            for (int c = 0; c < count; c++)
            {
                Span<float> target = destination.AsSpan(c * dim, dim);
                TensorPrimitives.MultiplyAdd(row, weights[i * rowStride + c * columnStride], target, target);
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
