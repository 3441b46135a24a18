using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    // node to its parent (its pair points back), 0 when free, Terminal or Orphan. Node.Up: the parent node, that edge's
    // far end, kept beside it so that walking up a tree reads no edge (valid while Parent > 0). Node.Residual: source
    // capacity minus sink capacity left (positive: source side). Node.Tree: 0 source tree, 1 sink tree. Edges come in
    // pairs (2k, 2k + 1), one the other's reverse; edges 0 and 1 are unused so that 0 can mean "none".
    private struct Node
    {
        public int First, Parent, Up, Next, Stamp, Dist;
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
    private int[] _path = []; // the nodes of the path being augmented: the source side's below its root, then the sink side's and its root
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
            _path = new int[size];
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called a few times per click: optimised from the first call
    public double Solve()
    {
        int n = _nodes, nil = n; // node n is the queue's sentinel
        ref Node node0 = ref MemoryMarshal.GetArrayDataReference(_node);
        ref Edge edge0 = ref MemoryMarshal.GetArrayDataReference(_edge);

        // Pre-pass: push along every source → i → j → sink path of one edge directly. Most of a segmentation graph's flow
        // takes such paths, and pushing them here skips a tree search and an adoption each. Any augmentation order gives
        // the same maximum flow, so the trees below finish the job.
        for (int e = 2; e < _edges; e++)
        {
            ref Edge forward = ref Unsafe.Add(ref edge0, e);
            ref Edge backward = ref Unsafe.Add(ref edge0, e ^ 1);
            ref Node from = ref Unsafe.Add(ref node0, backward.Dst), to = ref Unsafe.Add(ref node0, forward.Dst);
            double fromSource = from.Residual, toSink = -to.Residual, capacity = forward.Capacity;
            if (fromSource <= 0 || toSink <= 0 || capacity == 0) continue;
            double push = Math.Min(capacity, Math.Min(fromSource, toSink));
            forward.Capacity = capacity - push;
            backward.Capacity += push;
            from.Residual = fromSource - push;
            to.Residual = push - toSink;
            _flow += push;
        }

        int head = nil, last = nil;
        int time = 0;
        Unsafe.Add(ref node0, nil).Next = nil;
        for (int i = 0; i < n; i++)
        {
            ref Node v = ref Unsafe.Add(ref node0, i);
            v.Stamp = 0;
            v.Tree = 0;
            v.Next = NotQueued;
            if (v.Residual != 0)
            {
                if (last == nil) head = i;
                else Unsafe.Add(ref node0, last).Next = i;
                last = i;
                v.Next = nil;
                v.Dist = 1;
                v.Parent = Terminal;
                v.Tree = v.Residual < 0 ? (byte)1 : (byte)0;
            }
            else
            {
                v.Parent = 0;
            }
        }

        for (; ; )
        {
            // Grow both trees from the active nodes until an edge joins them.
            int join = 0;
            while (head != nil)
            {
                int vi = head;
                ref Node v = ref Unsafe.Add(ref node0, vi);
                if (v.Parent != 0)
                {
                    int vt = v.Tree;
                    for (int e = v.First; e != 0;)
                    {
                        ref Edge arc = ref Unsafe.Add(ref edge0, e);
                        int next = arc.Next;
                        if (Unsafe.Add(ref edge0, e ^ vt).Capacity == 0)
                        {
                            e = next;
                            continue;
                        }

                        int ui = arc.Dst;
                        ref Node u = ref Unsafe.Add(ref node0, ui);
                        if (u.Parent == 0)
                        {
                            u.Tree = (byte)vt;
                            u.Parent = e ^ 1;
                            u.Up = vi;
                            u.Stamp = v.Stamp;
                            u.Dist = v.Dist + 1;
                            if (u.Next == NotQueued)
                            {
                                u.Next = nil;
                                Unsafe.Add(ref node0, last).Next = ui; // the queue holds v, so last is a node
                                last = ui;
                            }
                        }
                        else if (u.Tree != vt)
                        {
                            join = e ^ vt; // oriented from the source tree to the sink tree
                            break;
                        }
                        else if (u.Dist > v.Dist + 1 && u.Stamp <= v.Stamp)
                        {
                            // A shorter path to the root: re-parent (keeps the trees shallow).
                            u.Parent = e ^ 1;
                            u.Up = vi;
                            u.Stamp = v.Stamp;
                            u.Dist = v.Dist + 1;
                        }

                        e = next;
                    }

                    if (join > 0) break;
                }

                head = v.Next;
                v.Next = NotQueued;
                if (head == nil) last = nil;
            }

            if (join <= 0) break;

            // The bottleneck of the path source → … → join → … → sink. The walk up each tree is a chain of dependent loads;
            // it records the path's nodes so that the push below reads them side by side instead of walking again.
            double bottleneck = Unsafe.Add(ref edge0, join).Capacity;
            ref int path0 = ref MemoryMarshal.GetArrayDataReference(_path);
            int steps = 0, sourceSteps = 0, sourceRoot = 0;
            for (int k = 1; k >= 0; k--)
            {
                int v = Unsafe.Add(ref edge0, join ^ k).Dst;
                for (int e; (e = Unsafe.Add(ref node0, v).Parent) >= 0; v = Unsafe.Add(ref node0, v).Up)
                {
                    Unsafe.Add(ref path0, steps++) = v;
                    bottleneck = Math.Min(bottleneck, Unsafe.Add(ref edge0, e ^ k).Capacity);
                }

                bottleneck = Math.Min(bottleneck, Math.Abs(Unsafe.Add(ref node0, v).Residual));
                if (k == 1) (sourceSteps, sourceRoot) = (steps, v);
                else Unsafe.Add(ref path0, steps) = v;
            }

            // Push it, and collect the nodes whose link to their parent saturated (the orphans), in path order: the source
            // side from the join up to its root, then the sink side.
            Unsafe.Add(ref edge0, join).Capacity -= bottleneck;
            Unsafe.Add(ref edge0, join ^ 1).Capacity += bottleneck;
            _flow += bottleneck;
            _orphanCount = 0;
            for (int k = 1, step = 0; k >= 0; k--)
            {
                for (int end = k == 1 ? sourceSteps : steps; step < end; step++)
                {
                    int v = Unsafe.Add(ref path0, step), e = Unsafe.Add(ref node0, v).Parent;
                    Unsafe.Add(ref edge0, e ^ (k ^ 1)).Capacity += bottleneck;
                    if ((Unsafe.Add(ref edge0, e ^ k).Capacity -= bottleneck) == 0) AddOrphan(v);
                }

                int r = k == 1 ? sourceRoot : Unsafe.Add(ref path0, steps);
                ref Node root = ref Unsafe.Add(ref node0, r);
                root.Residual += bottleneck * (1 - k * 2);
                if (root.Residual == 0) AddOrphan(r);
            }

            // Adoption: find each orphan a new parent in its own tree, or free it.
            time++;
            while (_orphanCount > 0)
            {
                int vi = _orphans[--_orphanCount];
                ref Node v = ref Unsafe.Add(ref node0, vi);
                int best = 0, minDist = int.MaxValue;
                int vt = v.Tree;
                for (int e = v.First; e != 0; e = Unsafe.Add(ref edge0, e).Next)
                {
                    if (Unsafe.Add(ref edge0, e ^ (vt ^ 1)).Capacity == 0) continue;
                    int u = Unsafe.Add(ref edge0, e).Dst;
                    if (Unsafe.Add(ref node0, u).Tree != vt || Unsafe.Add(ref node0, u).Parent == 0) continue;
                    int d = 0;
                    for (; ; )
                    {
                        // Walk to the root (or to a node already measured in this round) to learn u's depth.
                        ref Node w = ref Unsafe.Add(ref node0, u);
                        if (w.Stamp == time)
                        {
                            d += w.Dist;
                            break;
                        }

                        int up = w.Parent;
                        d++;
                        if (up < 0)
                        {
                            if (up == Orphan)
                            {
                                d = int.MaxValue - 1;
                            }
                            else
                            {
                                w.Stamp = time;
                                w.Dist = 1;
                            }

                            break;
                        }

                        u = w.Up;
                    }

                    if (++d < int.MaxValue)
                    {
                        if (d < minDist)
                        {
                            minDist = d;
                            best = e;
                        }

                        for (u = Unsafe.Add(ref edge0, e).Dst; Unsafe.Add(ref node0, u).Stamp != time; u = Unsafe.Add(ref node0, u).Up)
                        {
                            Unsafe.Add(ref node0, u).Stamp = time;
                            Unsafe.Add(ref node0, u).Dist = --d;
                        }
                    }
                }

                if ((v.Parent = best) > 0)
                {
                    v.Up = Unsafe.Add(ref edge0, best).Dst;
                    v.Stamp = time;
                    v.Dist = minDist;
                    continue;
                }

                // No parent: v becomes free; its neighbours in the tree become active, its children orphans.
                v.Stamp = 0;
                for (int e = v.First; e != 0; e = Unsafe.Add(ref edge0, e).Next)
                {
                    int ui = Unsafe.Add(ref edge0, e).Dst;
                    ref Node u = ref Unsafe.Add(ref node0, ui);
                    int up = u.Parent;
                    if (u.Tree != vt || up == 0) continue;
                    if (Unsafe.Add(ref edge0, e ^ (vt ^ 1)).Capacity != 0 && u.Next == NotQueued)
                    {
                        u.Next = nil;
                        if (last == nil) head = ui;
                        else Unsafe.Add(ref node0, last).Next = ui;
                        last = ui;
                    }

                    if (up > 0 && u.Up == vi) AddOrphan(ui);
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
