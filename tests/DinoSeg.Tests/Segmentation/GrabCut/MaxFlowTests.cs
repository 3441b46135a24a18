using DinoSeg.GrabCut;

namespace DinoSeg.Tests.Segmentation.GrabCut;

public sealed class MaxFlowTests
{
    /// <summary>A random graph: terminal capacities per node, and edge pairs between random distinct nodes.</summary>
    private sealed record Graph(int Nodes, double[] Source, double[] Sink, (int I, int J, double Forward, double Backward)[] Edges);

    private static Graph RandomGraph(Random random, int nodes, int edges, bool integral)
    {
        double Capacity(double zeroChance) => random.NextDouble() < zeroChance ? 0 : integral ? random.Next(1, 20) : random.NextDouble() * 10;
        var source = new double[nodes];
        var sink = new double[nodes];
        for (int i = 0; i < nodes; i++)
        {
            source[i] = Capacity(0.5);
            sink[i] = Capacity(0.5);
        }

        var list = new (int, int, double, double)[edges];
        for (int e = 0; e < edges; e++)
        {
            int i = random.Next(nodes), j = random.Next(nodes - 1);
            if (j >= i) j++;
            list[e] = (i, j, Capacity(0.2), Capacity(0.4));
        }

        return new Graph(nodes, source, sink, list);
    }

    private static double Solve(MaxFlow flow, Graph g)
    {
        flow.Reset(g.Nodes, g.Edges.Length);
        for (int i = 0; i < g.Nodes; i++) flow.AddTerminalWeights(i, g.Source[i], g.Sink[i]);
        foreach (var (i, j, f, b) in g.Edges) flow.AddEdges(i, j, f, b);
        return flow.Solve();
    }

    /// <summary>Edmonds–Karp (shortest augmenting paths by BFS) on a dense capacity matrix; node n is the source, n + 1 the sink.</summary>
    private static double EdmondsKarp(Graph g)
    {
        int n = g.Nodes + 2, s = g.Nodes, t = g.Nodes + 1;
        var c = new double[n, n];
        for (int i = 0; i < g.Nodes; i++)
        {
            c[s, i] += g.Source[i];
            c[i, t] += g.Sink[i];
        }

        foreach (var (i, j, f, b) in g.Edges)
        {
            c[i, j] += f;
            c[j, i] += b;
        }

        double total = 0;
        var parent = new int[n];
        for (; ; )
        {
            Array.Fill(parent, -1);
            parent[s] = s;
            var queue = new Queue<int>();
            queue.Enqueue(s);
            while (queue.Count > 0 && parent[t] < 0)
            {
                int u = queue.Dequeue();
                for (int v = 0; v < n; v++)
                {
                    if (parent[v] >= 0 || c[u, v] <= 1e-12) continue;
                    parent[v] = u;
                    queue.Enqueue(v);
                }
            }

            if (parent[t] < 0) return total;
            double bottleneck = double.PositiveInfinity;
            for (int v = t; v != s; v = parent[v]) bottleneck = Math.Min(bottleneck, c[parent[v], v]);
            for (int v = t; v != s; v = parent[v])
            {
                c[parent[v], v] -= bottleneck;
                c[v, parent[v]] += bottleneck;
            }

            total += bottleneck;
        }
    }

    /// <summary>The capacity of the cut that <paramref name="flow"/> reports: source-side to sink-side edges and terminals.</summary>
    private static double CutCapacity(MaxFlow flow, Graph g)
    {
        double cut = 0;
        for (int i = 0; i < g.Nodes; i++) cut += flow.InSourceSegment(i) ? g.Sink[i] : g.Source[i];
        foreach (var (i, j, f, b) in g.Edges)
        {
            bool si = flow.InSourceSegment(i), sj = flow.InSourceSegment(j);
            if (si && !sj) cut += f;
            if (sj && !si) cut += b;
        }

        return cut;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Solve_RandomGraphs_MatchesEdmondsKarpAndReportsAMinimumCut(bool integral)
    {
        var random = new Random(42);
        var flow = new MaxFlow(); // one instance for all graphs: reuse must not leak state
        for (int trial = 0; trial < 300; trial++)
        {
            int nodes = random.Next(1, 40);
            Graph g = RandomGraph(random, nodes, nodes < 2 ? 0 : random.Next(0, 4 * nodes), integral);

            double value = Solve(flow, g), expected = EdmondsKarp(g);

            double tolerance = 1e-9 * Math.Max(1, expected);
            Assert.True(Math.Abs(value - expected) <= tolerance, $"trial {trial}: flow {value}, Edmonds–Karp {expected}");
            double cut = CutCapacity(flow, g);
            Assert.True(Math.Abs(cut - expected) <= tolerance, $"trial {trial}: cut {cut}, flow {expected}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Solve_AfterTerminalWeightsChange_ContinuesToTheNewGraphsMinimumCut(bool integral)
    {
        // GrabCut's later rounds keep the flow and add the change of each node's terminal weights (often negative).
        var random = new Random(7);
        var flow = new MaxFlow();
        for (int trial = 0; trial < 200; trial++)
        {
            int nodes = random.Next(2, 40);
            Graph first = RandomGraph(random, nodes, random.Next(0, 4 * nodes), integral);
            Solve(flow, first);
            Graph changed = first;
            for (int round = 0; round < 3; round++)
            {
                Graph next = RandomGraph(random, nodes, 0, integral) with { Edges = first.Edges };
                for (int i = 0; i < nodes; i++) flow.AddTerminalWeights(i, next.Source[i] - changed.Source[i], next.Sink[i] - changed.Sink[i]);
                double value = flow.Solve(), expected = EdmondsKarp(next);

                double tolerance = 1e-9 * Math.Max(1, Math.Abs(expected));
                Assert.True(Math.Abs(value - expected) <= tolerance, $"trial {trial} round {round}: flow {value}, Edmonds–Karp {expected}");
                double cut = CutCapacity(flow, next);
                Assert.True(Math.Abs(cut - expected) <= tolerance, $"trial {trial} round {round}: cut {cut}, flow {expected}");
                changed = next;
            }
        }
    }

    [Fact]
    public void Solve_GridWithStrongTerminals_SeparatesAlongTheWeakColumn()
    {
        // 6 x 4 grid; column 0 tied to the source, column 5 to the sink; edges weak only between columns 2 and 3.
        const int w = 6, h = 4;
        var flow = new MaxFlow();
        flow.Reset(w * h, 2 * w * h);
        for (int y = 0; y < h; y++)
        {
            flow.AddTerminalWeights(y * w, 100, 0);
            flow.AddTerminalWeights(y * w + w - 1, 0, 100);
            for (int x = 1; x < w; x++) flow.AddEdges(y * w + x - 1, y * w + x, x == 3 ? 1 : 10, x == 3 ? 1 : 10);
            if (y > 0) for (int x = 0; x < w; x++) flow.AddEdges((y - 1) * w + x, y * w + x, 5, 5);
        }

        Assert.Equal(4, flow.Solve(), 12);
        for (int i = 0; i < w * h; i++) Assert.Equal(i % w < 3, flow.InSourceSegment(i));
    }

    [Fact]
    public void AddEdges_BadArguments_Throw()
    {
        var flow = new MaxFlow();
        flow.Reset(2, 1);
        Assert.Throws<ArgumentOutOfRangeException>("j", () => flow.AddEdges(0, 0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("j", () => flow.AddEdges(0, 2, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("forward", () => flow.AddEdges(0, 1, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("source", () => flow.AddTerminalWeights(0, double.NaN, 1));
    }
}
