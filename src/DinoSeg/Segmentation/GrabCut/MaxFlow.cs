namespace DinoSeg.GrabCut;

/// <summary>
/// Boykov–Kolmogorov max-flow / min-cut (Boykov and Kolmogorov, PAMI 2004) on a graph with terminal (t-) links and
/// paired directed edges, in the layout of OpenCV's <c>GCGraph</c>: two search trees grown from the source and the sink,
/// augmentation along the path where they meet, then adoption of the orphans it made. Reused between cuts: buffers grow
/// to the largest graph seen and are never shrunk, so a warm instance allocates nothing.
/// </summary>
/// <remarks>Deterministic: the result depends only on the order in which nodes and edges were added.</remarks>
internal sealed class MaxFlow
{
    private const int Terminal = -1, Orphan = -2, NotQueued = -1;

    // Per node. _parent: edge index from the parent to the node (as seen from the node: the edge node→parent is
    // _parent, and its pair _parent ^ 1 points to the node), 0 when free, Terminal or Orphan.
    private int[] _first = [], _parent = [], _next = [], _stamp = [], _dist = [];
    private double[] _residual = [];   // source capacity minus sink capacity left (positive: source side)
    private byte[] _tree = [];         // 0: source tree, 1: sink tree
    // Per edge, in pairs (2k, 2k + 1), one the other's reverse; edges 0 and 1 are unused so that 0 can mean "none".
    private int[] _dst = [], _nextEdge = [];
    private double[] _capacity = [];
    private int[] _orphans = [];
    private int _nodes, _edges, _orphanCount;
    private double _flow;

    /// <summary>Nodes in the current graph.</summary>
    public int NodeCount => _nodes;

    /// <summary>Starts a new graph of <paramref name="nodes"/> nodes, with room for <paramref name="edgePairs"/> edge pairs.</summary>
    public void Reset(int nodes, int edgePairs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(edgePairs);
        if (_first.Length < nodes + 1)
        {
            int size = Grow(_first.Length, nodes + 1);
            _first = new int[size];
            _parent = new int[size];
            _next = new int[size];
            _stamp = new int[size];
            _dist = new int[size];
            _residual = new double[size];
            _tree = new byte[size];
            _orphans = new int[size];
        }

        EnsureEdges(2 * edgePairs + 2);
        _nodes = nodes;
        _edges = 2;
        _flow = 0;
        _first.AsSpan(0, nodes).Clear();
        _residual.AsSpan(0, nodes).Clear();
    }

    /// <summary>Adds the edge pair i → j (capacity <paramref name="forward"/>) and j → i (<paramref name="backward"/>).</summary>
    public void AddEdges(int i, int j, double forward, double backward)
    {
        if ((uint)i >= (uint)_nodes || (uint)j >= (uint)_nodes || i == j) throw new ArgumentOutOfRangeException(nameof(j), j, "Edge ends must be two distinct nodes of the graph.");
        if (!(forward >= 0) || !(backward >= 0)) throw new ArgumentOutOfRangeException(nameof(forward), forward, "Capacities must be non-negative.");
        if (_edges + 2 > _dst.Length) EnsureEdges(_edges + 2);
        int e = _edges;
        _dst[e] = j;
        _nextEdge[e] = _first[i];
        _capacity[e] = forward;
        _first[i] = e;
        _dst[e + 1] = i;
        _nextEdge[e + 1] = _first[j];
        _capacity[e + 1] = backward;
        _first[j] = e + 1;
        _edges = e + 2;
    }

    /// <summary>
    /// Adds capacity from the source to node i and from node i to the sink (the common part flows at once). Only the
    /// difference matters to the cut, so either may be negative (GrabCut's −log densities are, where a density exceeds 1).
    /// </summary>
    public void AddTerminalWeights(int i, double source, double sink)
    {
        if ((uint)i >= (uint)_nodes) throw new ArgumentOutOfRangeException(nameof(i), i, "Not a node of the graph.");
        if (!double.IsFinite(source) || !double.IsFinite(sink)) throw new ArgumentOutOfRangeException(nameof(source), source, "Terminal weights must be finite.");
        double left = _residual[i];
        if (left > 0) source += left;
        else sink -= left;
        _flow += Math.Min(source, sink);
        _residual[i] = source - sink;
    }

    /// <summary>Whether node i lies on the source side of the minimum cut (valid after <see cref="Solve"/>).</summary>
    /// <remarks>
    /// Nodes in neither tree go to the source side, all of them (as in Kolmogorov's code): a freed orphan keeps its old
    /// tree mark, and going by that mark (as OpenCV's <c>GCGraph</c> does) can split two free nodes joined by a residual
    /// edge, which is not a minimum cut.
    /// </remarks>
    public bool InSourceSegment(int i) => _parent[i] == 0 || _tree[i] == 0;

    /// <summary>Computes the maximum flow (equal to the minimum cut's capacity) and the cut.</summary>
    public double Solve()
    {
        int n = _nodes, nil = n; // node n is the queue's sentinel
        int[] first = _first, parent = _parent, next = _next, stamp = _stamp, dist = _dist, dst = _dst, nextEdge = _nextEdge;
        double[] capacity = _capacity, residual = _residual;
        byte[] tree = _tree;
        int head = nil, last = nil;
        int time = 0;
        next[nil] = nil;
        for (int v = 0; v < n; v++)
        {
            stamp[v] = 0;
            tree[v] = 0;
            next[v] = NotQueued;
            if (residual[v] != 0)
            {
                if (last == nil) head = v;
                else next[last] = v;
                last = v;
                next[v] = nil;
                dist[v] = 1;
                parent[v] = Terminal;
                tree[v] = residual[v] < 0 ? (byte)1 : (byte)0;
            }
            else
            {
                parent[v] = 0;
            }
        }

        for (;;)
        {
            // Grow both trees from the active nodes until an edge joins them.
            int join = 0;
            while (head != nil)
            {
                int v = head;
                if (parent[v] != 0)
                {
                    int vt = tree[v];
                    for (int e = first[v]; e != 0; e = nextEdge[e])
                    {
                        if (capacity[e ^ vt] == 0) continue;
                        int u = dst[e];
                        if (parent[u] == 0)
                        {
                            tree[u] = (byte)vt;
                            parent[u] = e ^ 1;
                            stamp[u] = stamp[v];
                            dist[u] = dist[v] + 1;
                            if (next[u] == NotQueued)
                            {
                                next[u] = nil;
                                next[last] = u; // the queue holds v, so last is a node
                                last = u;
                            }

                            continue;
                        }

                        if (tree[u] != vt)
                        {
                            join = e ^ vt; // oriented from the source tree to the sink tree
                            break;
                        }

                        if (dist[u] > dist[v] + 1 && stamp[u] <= stamp[v])
                        {
                            // A shorter path to the root: re-parent (keeps the trees shallow).
                            parent[u] = e ^ 1;
                            stamp[u] = stamp[v];
                            dist[u] = dist[v] + 1;
                        }
                    }

                    if (join > 0) break;
                }

                head = next[v];
                next[v] = NotQueued;
                if (head == nil) last = nil;
            }

            if (join <= 0) break;

            // The bottleneck of the path source → … → join → … → sink.
            double bottleneck = capacity[join];
            for (int k = 1; k >= 0; k--)
            {
                int v = dst[join ^ k];
                for (int e; (e = parent[v]) >= 0; v = dst[e]) bottleneck = Math.Min(bottleneck, capacity[e ^ k]);
                bottleneck = Math.Min(bottleneck, Math.Abs(residual[v]));
            }

            // Push it, and collect the nodes whose link to their parent saturated (the orphans).
            capacity[join] -= bottleneck;
            capacity[join ^ 1] += bottleneck;
            _flow += bottleneck;
            _orphanCount = 0;
            for (int k = 1; k >= 0; k--)
            {
                int v = dst[join ^ k];
                for (int e; (e = parent[v]) >= 0; v = dst[e])
                {
                    capacity[e ^ (k ^ 1)] += bottleneck;
                    if ((capacity[e ^ k] -= bottleneck) == 0) AddOrphan(v);
                }

                residual[v] += bottleneck * (1 - k * 2);
                if (residual[v] == 0) AddOrphan(v);
            }

            // Adoption: find each orphan a new parent in its own tree, or free it.
            time++;
            while (_orphanCount > 0)
            {
                int v = _orphans[--_orphanCount];
                int best = 0, minDist = int.MaxValue;
                int vt = tree[v];
                for (int e = first[v]; e != 0; e = nextEdge[e])
                {
                    if (capacity[e ^ (vt ^ 1)] == 0) continue;
                    int u = dst[e];
                    if (tree[u] != vt || parent[u] == 0) continue;
                    int d = 0;
                    for (;;)
                    {
                        // Walk to the root (or to a node already measured in this round) to learn u's depth.
                        if (stamp[u] == time)
                        {
                            d += dist[u];
                            break;
                        }

                        int up = parent[u];
                        d++;
                        if (up < 0)
                        {
                            if (up == Orphan) d = int.MaxValue - 1;
                            else
                            {
                                stamp[u] = time;
                                dist[u] = 1;
                            }

                            break;
                        }

                        u = dst[up];
                    }

                    if (++d < int.MaxValue)
                    {
                        if (d < minDist)
                        {
                            minDist = d;
                            best = e;
                        }

                        for (u = dst[e]; stamp[u] != time; u = dst[parent[u]])
                        {
                            stamp[u] = time;
                            dist[u] = --d;
                        }
                    }
                }

                if ((parent[v] = best) > 0)
                {
                    stamp[v] = time;
                    dist[v] = minDist;
                    continue;
                }

                // No parent: v becomes free; its neighbours in the tree become active, its children orphans.
                stamp[v] = 0;
                for (int e = first[v]; e != 0; e = nextEdge[e])
                {
                    int u = dst[e], up = parent[u];
                    if (tree[u] != vt || up == 0) continue;
                    if (capacity[e ^ (vt ^ 1)] != 0 && next[u] == NotQueued)
                    {
                        next[u] = nil;
                        if (last == nil) head = u;
                        else next[last] = u;
                        last = u;
                    }

                    if (up > 0 && dst[up] == v) AddOrphan(u);
                }
            }
        }

        return _flow;
    }

    private void AddOrphan(int v)
    {
        _parent[v] = Orphan;
        _orphans[_orphanCount++] = v; // each node is an orphan at most once at a time, so n slots suffice
    }

    private void EnsureEdges(int count)
    {
        if (_dst.Length >= count) return;
        int size = Grow(_dst.Length, count);
        Array.Resize(ref _dst, size);
        Array.Resize(ref _nextEdge, size);
        Array.Resize(ref _capacity, size);
    }

    private static int Grow(int current, int needed) => Math.Max(needed, current + current / 2);
}
