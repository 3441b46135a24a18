using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using DinoSeg.Parallel;

namespace DinoSeg;

/// <summary>
/// The per-click solve of manifold ranking, (I − α S) f = b, by conjugate gradients (the matrix is symmetric positive
/// definite: S's eigenvalues lie in [−1, 1] and α &lt; 1). Owns its vectors, made once per result: allocation-free per click.
/// Large graphs split each matrix product over the workers.
/// </summary>
/// <remarks>Not thread-safe: one per result.</remarks>
internal sealed class GraphRanking : IRangeJob
{
    // Below this many patches one thread multiplies faster than two (a product over 2,048 patches takes ~20 µs).
    private const int ParallelNodes = 2048;

    // Solved maps kept for reuse: a click usually repeats the seeds of the one before, so their solves are looked up, not
    // redone. Exact reuse only (same graph, solve settings, seed patch and absorbing patches), so a result never depends
    // on the clicks before it.
    private const int CacheSize = 8;

    private readonly float[] _b, _r, _p, _q;
    private readonly List<int> _absorbing = [];
    private readonly CachedMap?[] _cache = new CachedMap?[CacheSize];
    private long _uses;
    private PatchGraph? _graph;
    private float _alpha;

    public GraphRanking(int nodes)
    {
        _b = new float[nodes];
        _r = new float[nodes];
        _p = new float[nodes];
        _q = new float[nodes];
    }

    /// <summary>The right-hand side b; fill it before <see cref="Solve"/>.</summary>
    public Span<float> Input => _b;

    /// <summary>
    /// Makes the patches under <paramref name="seeds"/> absorbing for the next solves: held at 0, so nothing ranks
    /// through them (the seeds of the other sign: a positive map never reaches across a negative seed, nor the reverse).
    /// The list is reused: allocation-free once it has held as many seeds.
    /// </summary>
    public void SetAbsorbing(PatchFeatures features, ReadOnlySpan<PixelPoint> seeds)
    {
        _absorbing.Clear();
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            _absorbing.Add(row * features.Cols + col);
        }
    }

    /// <summary>How many patches absorb now (a mark to <see cref="TrimAbsorbing"/> back to).</summary>
    public int AbsorbingCount => _absorbing.Count;

    /// <summary>Adds <paramref name="patches"/> to the absorbing ones (a later seed's barrier); allocation-free once the list has held as many.</summary>
    public void AddAbsorbing(ReadOnlySpan<int> patches)
    {
        foreach (int patch in patches) _absorbing.Add(patch);
    }

    /// <summary>Drops the absorbing patches added after the first <paramref name="count"/>.</summary>
    public void TrimAbsorbing(int count) => _absorbing.RemoveRange(count, _absorbing.Count - count);

    /// <summary>
    /// Copies into <paramref name="map"/> the finished (solved and scaled) map of the seed on patch <paramref name="source"/>
    /// if one was kept for this graph, these solve settings and the current absorbing patches; false otherwise.
    /// </summary>
    public bool TryReuse(PatchGraph graph, float alpha, double tolerance, int maxIterations, int source, Span<float> map)
    {
        foreach (CachedMap? entry in _cache)
        {
            // An empty slot has no graph: it matches nothing.
            if (entry is null || !entry.Matches(graph, alpha, tolerance, maxIterations, source, _absorbing)) continue;
            entry.Map.AsSpan(0, map.Length).CopyTo(map);
            entry.LastUse = ++_uses;
            return true;
        }

        return false;
    }

    /// <summary>Keeps the finished map of the seed on patch <paramref name="source"/> (see <see cref="TryReuse"/>), replacing the least recently used.</summary>
    public void Remember(PatchGraph graph, float alpha, double tolerance, int maxIterations, int source, ReadOnlySpan<float> map)
    {
        // Every slot at once, on the first ranked click, like the result's other buffers: later clicks allocate nothing.
        if (_cache[0] is null)
        {
            for (int i = 0; i < _cache.Length; i++) _cache[i] = new CachedMap(_b.Length);
        }

        int slot = 0;
        for (int i = 1; i < _cache.Length; i++)
        {
            if (_cache[i]!.LastUse < _cache[slot]!.LastUse) slot = i;
        }

        CachedMap entry = _cache[slot]!;
        entry.Set(graph, alpha, tolerance, maxIterations, source, _absorbing, map);
        entry.LastUse = ++_uses;
    }

    /// <summary>
    /// Solves (I − α S) f = <see cref="Input"/> into <paramref name="f"/>, starting from f = b (ranking only adds to b:
    /// f ≥ b for b ≥ 0), until ‖b − A f‖ ≤ tolerance · ‖b‖ or <paramref name="maxIterations"/>. Returns the iterations used.
    /// </summary>
    public int Solve(PatchGraph graph, float alpha, Span<float> f, double tolerance, int maxIterations)
    {
        if (graph.Nodes != _b.Length || f.Length != _b.Length) throw new ArgumentException($"Expected a graph and a map of {_b.Length} patches.", nameof(graph));
        _graph = graph;
        _alpha = alpha;
        try
        {
            return Iterate(f, tolerance, maxIterations);
        }
        finally
        {
            _graph = null;
        }
    }

    private int Iterate(Span<float> f, double tolerance, int maxIterations)
    {
        Span<float> b = _b, r = _r, p = _p, q = _q;
        // Absorbing patches: their rows become the identity with b = 0, so f, r and p stay 0 there and the rest is the
        // system of the graph with those nodes removed (still symmetric positive definite).
        foreach (int node in _absorbing) b[node] = 0;
        b.CopyTo(f);
        b.CopyTo(p);
        Multiply(); // q = A b
        TensorPrimitives.Subtract(b, q, r); // r = b − A f
        r.CopyTo(p);
        double rr = TensorPrimitives.Dot(r, r);
        double stop = tolerance * tolerance * TensorPrimitives.Dot(b, b);
        int iteration = 0;
        while (rr > stop && iteration < maxIterations)
        {
            Multiply(); // q = A p
            double pq = TensorPrimitives.Dot(p, q);
            if (!(pq > 0)) break; // only rounding can make it so; f is as good as it gets
            float step = (float)(rr / pq);
            TensorPrimitives.MultiplyAdd(p, step, f, f);
            TensorPrimitives.MultiplyAdd(q, -step, r, r);
            double next = TensorPrimitives.Dot(r, r);
            float beta = (float)(next / rr);
            rr = next;
            TensorPrimitives.MultiplyAdd(p, beta, r, p); // p = r + β p
            iteration++;
        }

        return iteration;
    }

    /// <summary>q = (I − αS) p, with identity rows at the absorbing patches (where p is 0).</summary>
    private void Multiply()
    {
        int n = _b.Length;
        if (n >= ParallelNodes) RangeWorkers.Shared.For(this, n, ParallelNodes / 2);
        else Run(0, n);
        foreach (int node in _absorbing) _q[node] = 0;
    }

    /// <inheritdoc/>
    public void Run(int start, int end) => _graph!.MultiplyShifted(_p, _q, _alpha, start, end);

    /// <summary>One kept map and what it was solved for; its arrays are reused when the slot is replaced.</summary>
    private sealed class CachedMap(int nodes)
    {
        private PatchGraph? _graph;
        private float _alpha;
        private double _tolerance;
        private int _maxIterations, _source;
        private int[] _absorbing = [];
        private int _absorbingCount;

        public float[] Map { get; } = new float[nodes];

        public long LastUse { get; set; }

        public bool Matches(PatchGraph graph, float alpha, double tolerance, int maxIterations, int source, List<int> absorbing) =>
            ReferenceEquals(graph, _graph) && alpha == _alpha && tolerance == _tolerance && maxIterations == _maxIterations
            && source == _source && CollectionsMarshal.AsSpan(absorbing).SequenceEqual(_absorbing.AsSpan(0, _absorbingCount));

        public void Set(PatchGraph graph, float alpha, double tolerance, int maxIterations, int source, List<int> absorbing, ReadOnlySpan<float> map)
        {
            (_graph, _alpha, _tolerance, _maxIterations, _source) = (graph, alpha, tolerance, maxIterations, source);
            if (_absorbing.Length < absorbing.Count) _absorbing = new int[absorbing.Count];
            absorbing.CopyTo(_absorbing);
            _absorbingCount = absorbing.Count;
            map.CopyTo(Map);
        }
    }

    /// <summary>
    /// Scales a ranked map so its reference (the weakest seed patch, or the map's maximum without one) holds 1, and clamps
    /// it to [0, 1]: thresholds then read as "this fraction of the seed's rank".
    /// </summary>
    public static void Normalise(Span<float> f, float reference)
    {
        if (!(reference > 0) || !float.IsFinite(reference)) reference = TensorPrimitives.Max(f);
        if (!(reference > 0) || !float.IsFinite(reference))
        {
            f.Clear();
            return;
        }

        TensorPrimitives.Multiply(f, 1f / reference, f);
        TensorPrimitives.Clamp(f, 0f, 1f, f);
    }
}
