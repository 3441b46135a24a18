using System.Numerics.Tensors;

namespace DinoSeg;

/// <summary>
/// Projects row vectors onto their top principal directions (uncentred: the directions that best keep dot products), by a
/// randomised range finder with one power iteration (Halko, Martinsson and Tropp 2011), then L2-normalises each projected
/// row so dot products are cosines again. Deterministic: the random test matrix has a fixed seed.
/// </summary>
internal static class PrincipalProjection
{
    private const int Oversampling = 16;
    private const int RandomSeed = 20240917;

    /// <summary>n rows of <paramref name="dim"/> values → n rows of <paramref name="target"/> values (target &lt; dim).</summary>
    public static float[] Project(ReadOnlySpan<float> rows, int n, int dim, int target)
    {
        int l = Math.Min(dim, target + Oversampling);
        float[] omega = GaussianMatrix(dim, l);

        // Y = F Ω (n × l), then one power iteration Y = F (Fᵀ Y) to sharpen the spectrum.
        var y = new float[n * l];
        MultiplyRows(rows, n, dim, omega, l, y);
        var z = new float[dim * l];
        MultiplyTransposed(rows, n, dim, y, l, z);
        NormaliseColumns(z, dim, l); // keeps magnitudes near 1 so float32 holds them comfortably
        MultiplyRows(rows, n, dim, z, l, y);

        // Orthonormal basis Q of Y's columns, kept transposed (l rows of n) so each column is contiguous.
        float[] q = Transpose(y, n, l);
        int rank = Orthonormalise(q, n, l);

        // B = Qᵀ F (l × dim); M = B Bᵀ = Q ᵀF Fᵀ Q (l × l) has the squared singular values of F in that subspace.
        var b = new float[l * dim];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
            for (int c = 0; c < rank; c++) TensorPrimitives.MultiplyAdd(row, q[c * n + i], b.AsSpan(c * dim, dim), b.AsSpan(c * dim, dim));
        }

        var m = new double[rank * rank];
        for (int r = 0; r < rank; r++)
        {
            for (int c = 0; c <= r; c++)
            {
                double dot = TensorPrimitives.Dot(b.AsSpan(r * dim, dim), b.AsSpan(c * dim, dim));
                m[r * rank + c] = dot;
                m[c * rank + r] = dot;
            }
        }

        var vectors = new double[rank * rank];
        double[] values = SymmetricEigen.Decompose(m, rank, vectors);

        // F V_j = Q B Bᵀ u_j / σ_j = σ_j Q u_j: the coordinates along the top `target` right singular vectors.
        int keep = Math.Min(target, rank);
        var coefficients = new float[rank * target]; // (rank × target): column j is σ_j u_j
        for (int j = 0; j < keep; j++)
        {
            double sigma = Math.Sqrt(Math.Max(values[j], 0));
            for (int r = 0; r < rank; r++) coefficients[r * target + j] = (float)(vectors[r * rank + j] * sigma);
        }

        var projected = new float[n * target];
        MultiplyRows(Transpose(q, rank, n), n, rank, coefficients, target, projected);
        for (int i = 0; i < n; i++)
        {
            Span<float> row = projected.AsSpan(i * target, target);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }

        return projected;
    }

    /// <summary>destination (n × l) = rows (n × dim) · matrix (dim × l).</summary>
    private static void MultiplyRows(ReadOnlySpan<float> rows, int n, int dim, float[] matrix, int l, float[] destination)
    {
        Array.Clear(destination);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
            Span<float> target = destination.AsSpan(i * l, l);
            for (int d = 0; d < dim; d++) TensorPrimitives.MultiplyAdd(matrix.AsSpan(d * l, l), row[d], target, target);
        }
    }

    /// <summary>destination (dim × l) = rowsᵀ (dim × n) · y (n × l).</summary>
    private static void MultiplyTransposed(ReadOnlySpan<float> rows, int n, int dim, float[] y, int l, float[] destination)
    {
        Array.Clear(destination);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = rows.Slice(i * dim, dim);
            ReadOnlySpan<float> yRow = y.AsSpan(i * l, l);
            for (int d = 0; d < dim; d++) TensorPrimitives.MultiplyAdd(yRow, row[d], destination.AsSpan(d * l, l), destination.AsSpan(d * l, l));
        }
    }

    private static void NormaliseColumns(float[] matrix, int rows, int cols)
    {
        var norms = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) norms[c] += (double)matrix[r * cols + c] * matrix[r * cols + c];
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++) matrix[r * cols + c] = norms[c] > 0 ? (float)(matrix[r * cols + c] / Math.Sqrt(norms[c])) : 0;
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
    /// vectors that vanish against the earlier ones (rank below l) are dropped. Returns how many rows are kept (at the front).
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

/// <summary>Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.</summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues of the symmetric n × n <paramref name="matrix"/> (destroyed), in descending order; the eigenvectors go to
    /// the columns of <paramref name="vectors"/> (n × n, row-major) in the same order.
    /// </summary>
    public static double[] Decompose(double[] matrix, int n, double[] vectors)
    {
        Array.Clear(vectors);
        for (int i = 0; i < n; i++) vectors[i * n + i] = 1;
        double scale = 0;
        for (int i = 0; i < n * n; i++) scale += matrix[i] * matrix[i];
        for (int sweep = 0; sweep < 64; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++) off += matrix[p * n + q] * matrix[p * n + q];
            }

            if (off <= 1e-22 * scale) break;
            for (int p = 0; p < n; p++)
            {
                for (int q = p + 1; q < n; q++) Rotate(matrix, vectors, n, p, q);
            }
        }

        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = matrix[i * n + i];
        int[] order = [.. Enumerable.Range(0, n).OrderByDescending(i => values[i])];
        var sortedValues = new double[n];
        var sortedVectors = new double[n * n];
        for (int j = 0; j < n; j++)
        {
            sortedValues[j] = values[order[j]];
            for (int r = 0; r < n; r++) sortedVectors[r * n + j] = vectors[r * n + order[j]];
        }

        Array.Copy(sortedVectors, vectors, n * n);
        return sortedValues;
    }

    private static void Rotate(double[] a, double[] v, int n, int p, int q)
    {
        double apq = a[p * n + q];
        if (apq == 0) return;
        double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
        double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; k++)
        {
            double akp = a[k * n + p], akq = a[k * n + q];
            a[k * n + p] = c * akp - s * akq;
            a[k * n + q] = s * akp + c * akq;
        }

        for (int k = 0; k < n; k++)
        {
            double apk = a[p * n + k], aqk = a[q * n + k];
            a[p * n + k] = c * apk - s * aqk;
            a[q * n + k] = s * apk + c * aqk;
        }

        for (int k = 0; k < n; k++)
        {
            double vkp = v[k * n + p], vkq = v[k * n + q];
            v[k * n + p] = c * vkp - s * vkq;
            v[k * n + q] = s * vkp + c * vkq;
        }
    }
}
