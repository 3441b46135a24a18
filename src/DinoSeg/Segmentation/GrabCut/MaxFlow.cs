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

    // Nodes and edges as arrays of structs: a node's (or edge's) fields share a cache line. Node.Parent: the edge from the
    // node to its parent (its pair points back), 0 when free, Terminal or Orphan. Node.Residual: source capacity minus
    // sink capacity left (positive: source side). Node.Tree: 0 source tree, 1 sink tree. Edges come in pairs
    // (2k, 2k + 1), one the other's reverse; edges 0 and 1 are unused so that 0 can mean "none".
    private struct Node
    {
        public int First, Parent, Next, Stamp, Dist;
        public byte Tree;
        public double Residual;
    }

    private struct Edge
    {
        public int Dst, Next;
        public double Capacity;
    }

    private Node[] _node = [];
    private Edge[] _edge = [];
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
        if (_node.Length < nodes + 1)
        {
            int size = Grow(_node.Length, nodes + 1);
            _node = new Node[size];
            _orphans = new int[size];
        }

        EnsureEdges(2 * edgePairs + 2);
        _nodes = nodes;
        _edges = 2;
        _flow = 0;
        _node.AsSpan(0, nodes).Clear();
    }

    /// <summary>Adds the edge pair i → j (capacity <paramref name="forward"/>) and j → i (<paramref name="backward"/>).</summary>
    public void AddEdges(int i, int j, double forward, double backward)
    {
        if ((uint)i >= (uint)_nodes || (uint)j >= (uint)_nodes || i == j) throw new ArgumentOutOfRangeException(nameof(j), j, "Edge ends must be two distinct nodes of the graph.");
        if (!(forward >= 0) || !(backward >= 0)) throw new ArgumentOutOfRangeException(nameof(forward), forward, "Capacities must be non-negative.");
        if (_edges + 2 > _edge.Length) EnsureEdges(_edges + 2);
        int e = _edges;
        _edge[e] = new Edge { Dst = j, Next = _node[i].First, Capacity = forward };
        _node[i].First = e;
        _edge[e + 1] = new Edge { Dst = i, Next = _node[j].First, Capacity = backward };
        _node[j].First = e + 1;
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
        double left = _node[i].Residual;
        if (left > 0) source += left;
        else sink -= left;
        _flow += Math.Min(source, sink);
        _node[i].Residual = source - sink;
    }

    /// <summary>Whether node i lies on the source side of the minimum cut (valid after <see cref="Solve"/>).</summary>
    /// <remarks>
    /// Nodes in neither tree go to the source side, all of them (as in Kolmogorov's code): a freed orphan keeps its old
    /// tree mark, and going by that mark (as OpenCV's <c>GCGraph</c> does) can split two free nodes joined by a residual
    /// edge, which is not a minimum cut.
    /// </remarks>
    public bool InSourceSegment(int i) => _node[i].Parent == 0 || _node[i].Tree == 0;

    /// <summary>Computes the maximum flow (equal to the minimum cut's capacity) and the cut.</summary>
    /// <remarks>
    /// May be called again after <see cref="AddTerminalWeights"/> changed some nodes' terminal weights (by the difference,
    /// negative or not): it continues from the flow already pushed, which stays feasible because only the difference of a
    /// node's two terminal capacities matters to the cut, and returns the new graph's maximum flow.
    /// </remarks>
    public double Solve()
    {
        int n = _nodes, nil = n; // node n is the queue's sentinel
        Node[] node = _node;
        Edge[] edge = _edge;

        // Pre-pass: push along every source → i → j → sink path of one edge directly. Most of a segmentation graph's flow
        // takes such paths, and pushing them here skips a tree search and an adoption each. Any augmentation order gives
        // the same maximum flow, so the trees below finish the job.
        for (int e = 2; e < _edges; e++)
        {
            int i = edge[e ^ 1].Dst, j = edge[e].Dst;
            double fromSource = node[i].Residual, toSink = -node[j].Residual, capacity = edge[e].Capacity;
            if (fromSource <= 0 || toSink <= 0 || capacity == 0) continue;
            double push = Math.Min(capacity, Math.Min(fromSource, toSink));
            edge[e].Capacity = capacity - push;
            edge[e ^ 1].Capacity += push;
            node[i].Residual = fromSource - push;
            node[j].Residual = push - toSink;
            _flow += push;
        }
        int head = nil, last = nil;
        int time = 0;
        node[nil].Next = nil;
        for (int v = 0; v < n; v++)
        {
            node[v].Stamp = 0;
            node[v].Tree = 0;
            node[v].Next = NotQueued;
            if (node[v].Residual != 0)
            {
                if (last == nil) head = v;
                else node[last].Next = v;
                last = v;
                node[v].Next = nil;
                node[v].Dist = 1;
                node[v].Parent = Terminal;
                node[v].Tree = node[v].Residual < 0 ? (byte)1 : (byte)0;
            }
            else
            {
                node[v].Parent = 0;
            }
        }

        for (; ; )
        {
            // Grow both trees from the active nodes until an edge joins them.
            int join = 0;
            while (head != nil)
            {
                int v = head;
                if (node[v].Parent != 0)
                {
                    int vt = node[v].Tree;
                    for (int e = node[v].First; e != 0; e = edge[e].Next)
                    {
                        if (edge[e ^ vt].Capacity == 0) continue;
                        int u = edge[e].Dst;
                        if (node[u].Parent == 0)
                        {
                            node[u].Tree = (byte)vt;
                            node[u].Parent = e ^ 1;
                            node[u].Stamp = node[v].Stamp;
                            node[u].Dist = node[v].Dist + 1;
                            if (node[u].Next == NotQueued)
                            {
                                node[u].Next = nil;
                                node[last].Next = u; // the queue holds v, so last is a node
                                last = u;
                            }

                            continue;
                        }

                        if (node[u].Tree != vt)
                        {
                            join = e ^ vt; // oriented from the source tree to the sink tree
                            break;
                        }

                        if (node[u].Dist > node[v].Dist + 1 && node[u].Stamp <= node[v].Stamp)
                        {
                            // A shorter path to the root: re-parent (keeps the trees shallow).
                            node[u].Parent = e ^ 1;
                            node[u].Stamp = node[v].Stamp;
                            node[u].Dist = node[v].Dist + 1;
                        }
                    }

                    if (join > 0) break;
                }

                head = node[v].Next;
                node[v].Next = NotQueued;
                if (head == nil) last = nil;
            }

            if (join <= 0) break;

            // The bottleneck of the path source → … → join → … → sink.
            double bottleneck = edge[join].Capacity;
            for (int k = 1; k >= 0; k--)
            {
                int v = edge[join ^ k].Dst;
                for (int e; (e = node[v].Parent) >= 0; v = edge[e].Dst) bottleneck = Math.Min(bottleneck, edge[e ^ k].Capacity);
                bottleneck = Math.Min(bottleneck, Math.Abs(node[v].Residual));
            }

            // Push it, and collect the nodes whose link to their parent saturated (the orphans).
            edge[join].Capacity -= bottleneck;
            edge[join ^ 1].Capacity += bottleneck;
            _flow += bottleneck;
            _orphanCount = 0;
            for (int k = 1; k >= 0; k--)
            {
                int v = edge[join ^ k].Dst;
                for (int e; (e = node[v].Parent) >= 0; v = edge[e].Dst)
                {
                    edge[e ^ (k ^ 1)].Capacity += bottleneck;
                    if ((edge[e ^ k].Capacity -= bottleneck) == 0) AddOrphan(v);
                }

                node[v].Residual += bottleneck * (1 - k * 2);
                if (node[v].Residual == 0) AddOrphan(v);
            }

            // Adoption: find each orphan a new parent in its own tree, or free it.
            time++;
            while (_orphanCount > 0)
            {
                int v = _orphans[--_orphanCount];
                int best = 0, minDist = int.MaxValue;
                int vt = node[v].Tree;
                for (int e = node[v].First; e != 0; e = edge[e].Next)
                {
                    if (edge[e ^ (vt ^ 1)].Capacity == 0) continue;
                    int u = edge[e].Dst;
                    if (node[u].Tree != vt || node[u].Parent == 0) continue;
                    int d = 0;
                    for (; ; )
                    {
                        // Walk to the root (or to a node already measured in this round) to learn u's depth.
                        if (node[u].Stamp == time)
                        {
                            d += node[u].Dist;
                            break;
                        }

                        int up = node[u].Parent;
                        d++;
                        if (up < 0)
                        {
                            if (up == Orphan)
                            {
                                d = int.MaxValue - 1;
                            }
                            else
                            {
                                node[u].Stamp = time;
                                node[u].Dist = 1;
                            }

                            break;
                        }

                        u = edge[up].Dst;
                    }

                    if (++d < int.MaxValue)
                    {
                        if (d < minDist)
                        {
                            minDist = d;
                            best = e;
                        }

                        for (u = edge[e].Dst; node[u].Stamp != time; u = edge[node[u].Parent].Dst)
                        {
                            node[u].Stamp = time;
                            node[u].Dist = --d;
                        }
                    }
                }

                if ((node[v].Parent = best) > 0)
                {
                    node[v].Stamp = time;
                    node[v].Dist = minDist;
                    continue;
                }

                // No parent: v becomes free; its neighbours in the tree become active, its children orphans.
                node[v].Stamp = 0;
                for (int e = node[v].First; e != 0; e = edge[e].Next)
                {
                    int u = edge[e].Dst, up = node[u].Parent;
                    if (node[u].Tree != vt || up == 0) continue;
                    if (edge[e ^ (vt ^ 1)].Capacity != 0 && node[u].Next == NotQueued)
                    {
                        node[u].Next = nil;
                        if (last == nil) head = u;
                        else node[last].Next = u;
                        last = u;
                    }

                    if (up > 0 && edge[up].Dst == v) AddOrphan(u);
                }
            }
        }

        return _flow;
    }

    private void AddOrphan(int v)
    {
        _node[v].Parent = Orphan;
        _orphans[_orphanCount++] = v; // each node is an orphan at most once at a time, so n slots suffice
    }

    private void EnsureEdges(int count)
    {
        if (_edge.Length >= count) return;
        Array.Resize(ref _edge, Grow(_edge.Length, count));
    }

    private static int Grow(int current, int needed) => Math.Max(needed, current + current / 2);
}
