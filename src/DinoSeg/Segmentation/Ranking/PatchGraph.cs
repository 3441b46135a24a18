using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

/// <summary>
/// The k-nearest-neighbour graph over one image's patches that <see cref="Propagation.Graph"/> ranks over, stored as the
/// symmetric normalised affinity S = D^−½ W D^−½ in compressed rows. Built once per image (<see cref="Build"/>, or lazily by
/// the first ranked click on a <see cref="PatchFeatures"/>, which keeps it).
/// </summary>
/// <remarks>Immutable once built; thread-safe. Memory: about 12 bytes per edge end (1.5 × neighbours ends per patch).</remarks>
public sealed class PatchGraph
{
    private readonly int[] _rowStart;
    private readonly int[] _columns;
    private readonly float[] _weights;

    private PatchGraph(GraphOptions options, int nodes, int dimension, int[] rowStart, int[] columns, float[] weights)
    {
        Options = options;
        Nodes = nodes;
        Dimension = dimension;
        _rowStart = rowStart;
        _columns = columns;
        _weights = weights;
    }

    /// <summary>The options it was built with (only <see cref="GraphOptions.Neighbours"/>, <see cref="GraphOptions.Temperature"/> and <see cref="GraphOptions.ReducedDimension"/> shape it).</summary>
    public GraphOptions Options { get; }

    /// <summary>Patches (nodes), row-major over the grid.</summary>
    public int Nodes { get; }

    /// <summary>Undirected edges.</summary>
    public int Edges => _columns.Length / 2;

    /// <summary>Length of the vectors the neighbours were found with: the feature dimension, or the reduced one.</summary>
    public int Dimension { get; }

    /// <summary>The neighbours of <paramref name="node"/>, in ascending order.</summary>
    public ReadOnlySpan<int> NeighboursOf(int node) => _columns.AsSpan(_rowStart[node], _rowStart[node + 1] - _rowStart[node]);

    /// <summary>S's entries in the row of <paramref name="node"/>, in the order of <see cref="NeighboursOf"/>.</summary>
    public ReadOnlySpan<float> WeightsOf(int node) => _weights.AsSpan(_rowStart[node], _rowStart[node + 1] - _rowStart[node]);

    /// <summary>Builds the graph of <paramref name="features"/>: cost about patches² × dimension multiply-adds, split over the cores.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static PatchGraph Build(PatchFeatures features, GraphOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        options ??= GraphOptions.Default;
        options.Validate();
        int n = features.PatchCount, dim = features.Dim;
        float[]? reduced = null;
        if (ShouldReduce(n, dim, options.ReducedDimension))
        {
            reduced = PrincipalProjection.Project(features.VectorMemory, n, dim, options.ReducedDimension);
            dim = options.ReducedDimension;
        }

        int k = Math.Min(options.Neighbours, n - 1);
        var neighbours = new int[n * Math.Max(k, 0)];
        var cosines = new float[neighbours.Length];
        if (k > 0)
        {
            // Each block of rows costs 8 × patches × dim multiply-adds; parts of at least ~4M keep the wake-ups negligible.
            var job = new NearestJob(features, reduced, dim, k, neighbours, cosines);
            int blocks = (n + BlockDot.Block - 1) / BlockDot.Block;
            long blockCost = (long)BlockDot.Block * n * dim;
            RangeWorkers.Shared.For(job, blocks, (int)Math.Max(1, (1L << 22) / blockCost));
        }

        return Symmetrise(options, n, dim, k, neighbours, cosines);
    }

    /// <summary>destination[i] = x[i] − α (S x)[i] for the rows i in [start, end): the matrix I − αS of the ranking.</summary>
    internal void MultiplyShifted(ReadOnlySpan<float> x, Span<float> destination, float alpha, int start, int end)
    {
        if (x.Length != Nodes || destination.Length != Nodes) throw new ArgumentException($"Expected {Nodes} values, found {x.Length} and {destination.Length}.", nameof(destination));
        if ((uint)start > (uint)end || end > Nodes) throw new ArgumentOutOfRangeException(nameof(end), end, $"Rows must lie in [0, {Nodes}].");

        // Columns were built here and all lie in [0, Nodes), and x is Nodes long: the gathers need no bounds checks.
        ref int columns = ref MemoryMarshal.GetArrayDataReference(_columns);
        ref float weights = ref MemoryMarshal.GetArrayDataReference(_weights);
        ref float values = ref MemoryMarshal.GetReference(x);
        int[] rowStart = _rowStart;
        for (int i = start; i < end; i++)
        {
            int e = rowStart[i], last = rowStart[i + 1];
            float sum0 = 0, sum1 = 0; // two chains hide the add latency
            for (; e + 1 < last; e += 2)
            {
                sum0 += Unsafe.Add(ref weights, e) * Unsafe.Add(ref values, Unsafe.Add(ref columns, e));
                sum1 += Unsafe.Add(ref weights, e + 1) * Unsafe.Add(ref values, Unsafe.Add(ref columns, e + 1));
            }

            if (e < last) sum0 += Unsafe.Add(ref weights, e) * Unsafe.Add(ref values, Unsafe.Add(ref columns, e));
            destination[i] = x[i] - alpha * (sum0 + sum1);
        }
    }

    /// <summary>
    /// Reducing costs about 4 × patches × dim × reduced multiply-adds (four products with the features, split over the
    /// workers like the search) and then saves (dim − reduced) per pair of patches: worth it only when that clearly wins.
    /// </summary>
    internal static bool ShouldReduce(int n, int dim, int reducedDimension)
    {
        if (dim <= 2 * reducedDimension) return false;
        double direct = (double)n * n * dim;
        double reducedCost = 4.0 * n * dim * reducedDimension + (double)n * n * reducedDimension;
        return reducedCost < 0.7 * direct;
    }

    /// <summary>Union of the directed lists (an edge i–j when either lists the other), weights exp((cos − 1)/τ), then S.</summary>
    private static PatchGraph Symmetrise(GraphOptions options, int n, int dim, int k, int[] neighbours, float[] cosines)
    {
        var count = new int[n + 1];
        for (int i = 0; i < n; i++)
        {
            for (int e = i * k; e < (i + 1) * k; e++)
            {
                count[i]++;
                count[neighbours[e]]++;
            }
        }

        var start = new int[n + 1];
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + count[i];
        var columns = new int[start[n]];
        var cos = new float[start[n]];
        var fill = (int[])start.Clone();
        for (int i = 0; i < n; i++)
        {
            for (int e = i * k; e < (i + 1) * k; e++)
            {
                int j = neighbours[e];
                columns[fill[i]] = j;
                cos[fill[i]++] = cosines[e];
                columns[fill[j]] = i;
                cos[fill[j]++] = cosines[e];
            }
        }

        // Sort each row by column and merge duplicates (i lists j and j lists i): keep the larger cosine so the weight is
        // the same from both ends whatever the rounding of the two dot products.
        var rowStart = new int[n + 1];
        int written = 0;
        for (int i = 0; i < n; i++)
        {
            Span<int> rowColumns = columns.AsSpan(start[i], start[i + 1] - start[i]);
            Span<float> rowCos = cos.AsSpan(start[i], start[i + 1] - start[i]);
            rowColumns.Sort(rowCos);
            rowStart[i] = written;
            for (int e = 0; e < rowColumns.Length; e++)
            {
                if (e > 0 && rowColumns[e] == rowColumns[e - 1])
                {
                    cos[written - 1] = MathF.Max(cos[written - 1], rowCos[e]);
                    continue;
                }

                columns[written] = rowColumns[e];
                cos[written++] = rowCos[e];
            }
        }

        rowStart[n] = written;
        Array.Resize(ref columns, written);
        Array.Resize(ref cos, written);
        SymmetriseMaxima(rowStart, columns, cos);

        // W, degrees, then S = D^-1/2 W D^-1/2 in place.
        double invTau = 1.0 / options.Temperature;
        var weights = new float[written];
        var scale = new double[n];
        for (int i = 0; i < n; i++)
        {
            double degree = 0;
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                float w = (float)Math.Exp((Math.Min(cos[e], 1f) - 1.0) * invTau);
                weights[e] = w;
                degree += w;
            }

            scale[i] = degree > 0 ? 1.0 / Math.Sqrt(degree) : 0;
        }

        for (int i = 0; i < n; i++)
        {
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++) weights[e] = (float)(weights[e] * scale[i] * scale[columns[e]]);
        }

        return new PatchGraph(options, n, dim, rowStart, columns, weights);
    }

    /// <summary>Makes cos[i→j] equal cos[j→i] (the larger of the two), so S is exactly symmetric.</summary>
    private static void SymmetriseMaxima(int[] rowStart, int[] columns, float[] cos)
    {
        int n = rowStart.Length - 1;
        for (int i = 0; i < n; i++)
        {
            for (int e = rowStart[i]; e < rowStart[i + 1]; e++)
            {
                int j = columns[e];
                if (j <= i) continue;
                int back = columns.AsSpan(rowStart[j], rowStart[j + 1] - rowStart[j]).BinarySearch(i);
                Debug.Assert(back >= 0, "every edge is stored at both ends");
                back += rowStart[j];
                float c = MathF.Max(cos[e], cos[back]);
                cos[e] = c;
                cos[back] = c;
            }
        }
    }

    /// <summary>Per patch, its k most similar other patches: dot products with every patch, eight rows at a time, then a top-k pass per row.</summary>
    private sealed class NearestJob(PatchFeatures features, float[]? reduced, int dim, int k, int[] neighbours, float[] cosines) : IRangeJob
    {
        public void Run(int startBlock, int endBlock)
        {
            ReadOnlySpan<float> all = reduced ?? features.Vectors;
            int n = all.Length / dim;
            float[] rows = ArrayPool<float>.Shared.Rent(BlockDot.Block * n);
            try
            {
                for (int block = startBlock; block < endBlock; block++)
                {
                    int first = block * BlockDot.Block, count = Math.Min(BlockDot.Block, n - first);
                    BlockDot.Compute(all, all.Slice(first * dim, count * dim), dim, rows);
                    for (int r = 0; r < count; r++)
                    {
                        int i = first + r;
                        Span<float> dots = rows.AsSpan(r * n, n);
                        dots[i] = float.NegativeInfinity;
                        SelectTop(dots, neighbours.AsSpan(i * k, k), cosines.AsSpan(i * k, k));
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(rows);
            }
        }

        /// <summary>The k largest values (ties: the lower index first), in descending order.</summary>
        internal static void SelectTop(ReadOnlySpan<float> values, Span<int> indices, Span<float> top)
        {
            int k = indices.Length;
            top.Fill(float.NegativeInfinity);
            indices.Fill(-1);
            for (int j = 0; j < values.Length; j++)
            {
                float v = values[j];
                if (!(v > top[k - 1])) continue;
                int at = k - 1;
                while (at > 0 && v > top[at - 1])
                {
                    top[at] = top[at - 1];
                    indices[at] = indices[at - 1];
                    at--;
                }

                top[at] = v;
                indices[at] = j;
            }

            // Features are finite (PatchFeatures checks), so with n ≥ k + 1 values every slot was filled.
            Debug.Assert(!indices.Contains(-1), "a row of finite values fills the list");
        }
    }
}
