namespace DinoSeg.Crf;

/// <summary>
/// A permutohedral lattice (Adams, Baek and Davis 2010) over 5-D points (x, y, r, g, b, each already divided by its
/// kernel width): the Gaussian filter Σⱼ exp(−‖fᵢ − fⱼ‖² / 2)·vⱼ of values at the points, approximately, in time linear in
/// the points. The points are lifted onto the lattice's hyperplane in 6-D, each is spread onto the 6 vertices of the
/// simplex around it (splat), the vertex values are blurred with [¼ ½ ¼] along each of the 6 lattice directions, and read
/// back with the same barycentric weights (slice).
/// </summary>
/// <remarks>
/// The structure depends only on the points, so it is built once per image and kernel width and then shared read-only by
/// every click and thread. Splat is a gather (each vertex sums its own points, in point order), blur and slice compute each
/// output alone from the previous stage, so every value is the same whatever the split over threads.
/// </remarks>
internal sealed class PermutohedralLattice
{
    /// <summary>Dimension of the points.</summary>
    public const int Dimension = 5;

    /// <summary>Vertices of each point's simplex (and lattice directions).</summary>
    public const int Corners = Dimension + 1;

    private readonly int[] _pointVertex;     // per point, its Corners vertices
    private readonly float[] _pointWeight;   // per point, their barycentric weights
    private readonly int[] _vertexStart;     // CSR over vertices: their (point, corner) entries, in point order
    private readonly int[] _vertexEntry;     // point · Corners + corner
    private readonly int[] _neighbours;      // per vertex and direction, the vertex one step back and one ahead, or −1

    private PermutohedralLattice(int points, int vertices, int[] pointVertex, float[] pointWeight, int[] neighbours)
    {
        Points = points;
        Vertices = vertices;
        _pointVertex = pointVertex;
        _pointWeight = pointWeight;
        _neighbours = neighbours;
        _vertexStart = new int[vertices + 1];
        foreach (int v in pointVertex) _vertexStart[v + 1]++;
        for (int v = 0; v < vertices; v++) _vertexStart[v + 1] += _vertexStart[v];
        _vertexEntry = new int[pointVertex.Length];
        var fill = new int[vertices];
        for (int e = 0; e < pointVertex.Length; e++)
        {
            int v = pointVertex[e];
            _vertexEntry[_vertexStart[v] + fill[v]++] = e;
        }
    }

    /// <summary>Points the lattice was built from.</summary>
    public int Points { get; }

    /// <summary>Lattice vertices touched by the points.</summary>
    public int Vertices { get; }

    /// <summary>Builds the lattice of <paramref name="points"/> (<see cref="Dimension"/> coordinates per point, row-major).</summary>
    /// <exception cref="ArgumentException">The coordinates are not a whole number of points, or one is not finite or too large.</exception>
    public static PermutohedralLattice Build(ReadOnlySpan<float> points)
    {
        if (points.Length % Dimension != 0) throw new ArgumentException($"Expected {Dimension} coordinates per point, found {points.Length} in all.", nameof(points));
        int n = points.Length / Dimension;
        var pointVertex = new int[n * Corners];
        var pointWeight = new float[n * Corners];
        var vertexOf = new Dictionary<UInt128, int>(n);
        var keys = new List<UInt128>(n);
        Span<float> elevated = stackalloc float[Corners];
        Span<int> nearest = stackalloc int[Corners], rank = stackalloc int[Corners];
        Span<float> barycentric = stackalloc float[Corners + 1];
        Span<int> key = stackalloc int[Dimension];
        for (int p = 0; p < n; p++)
        {
            ReadOnlySpan<float> point = points.Slice(p * Dimension, Dimension);
            foreach (float c in point)
            {
                if (!(Math.Abs(c) <= MaxCoordinate)) throw new ArgumentException($"Coordinates must be finite and within ±{MaxCoordinate}, found {c} at point {p}.", nameof(points));
            }

            Locate(point, elevated, nearest, rank, barycentric);
            for (int corner = 0; corner < Corners; corner++)
            {
                // The corner-th vertex of the simplex: the nearest remainder-0 point plus the canonical offset of this corner.
                for (int i = 0; i < Dimension; i++) key[i] = nearest[i] + (rank[i] <= Dimension - corner ? corner : corner - Corners);
                UInt128 packed = Pack(key);
                if (!vertexOf.TryGetValue(packed, out int vertex))
                {
                    vertex = keys.Count;
                    vertexOf.Add(packed, vertex);
                    keys.Add(packed);
                }

                pointVertex[p * Corners + corner] = vertex;
                pointWeight[p * Corners + corner] = barycentric[corner];
            }
        }

        var neighbours = new int[keys.Count * Corners * 2];
        Span<int> step = stackalloc int[Dimension];
        for (int v = 0; v < keys.Count; v++)
        {
            Unpack(keys[v], key);
            for (int direction = 0; direction < Corners; direction++)
            {
                // One step along a lattice direction: −1 on every coordinate and +(d + 1) on the direction's own (the
                // last direction's own coordinate is the implicit sixth one), and the opposite step.
                for (int i = 0; i < Dimension; i++) step[i] = key[i] - 1 + (i == direction ? Corners : 0);
                neighbours[(v * Corners + direction) * 2] = vertexOf.GetValueOrDefault(Pack(step), -1);
                for (int i = 0; i < Dimension; i++) step[i] = key[i] + 1 - (i == direction ? Corners : 0);
                neighbours[(v * Corners + direction) * 2 + 1] = vertexOf.GetValueOrDefault(Pack(step), -1);
            }
        }

        return new PermutohedralLattice(n, keys.Count, pointVertex, pointWeight, neighbours);
    }

    /// <summary>The largest coordinate magnitude: lattice coordinates must fit 16 bits.</summary>
    public const float MaxCoordinate = 1000;

    /// <summary>Spreads the point values onto vertices [start, end) of <paramref name="vertexValues"/>.</summary>
    public void Splat(ReadOnlySpan<float> pointValues, Span<float> vertexValues, int start, int end)
    {
        for (int v = start; v < end; v++)
        {
            float sum = 0;
            for (int k = _vertexStart[v]; k < _vertexStart[v + 1]; k++)
            {
                int entry = _vertexEntry[k];
                sum += _pointWeight[entry] * pointValues[entry / Corners];
            }

            vertexValues[v] = sum;
        }
    }

    /// <summary>One [¼ ½ ¼] blur step along <paramref name="direction"/> for vertices [start, end); missing neighbours count as 0.</summary>
    public void Blur(int direction, ReadOnlySpan<float> from, Span<float> to, int start, int end)
    {
        for (int v = start; v < end; v++)
        {
            int at = (v * Corners + direction) * 2, back = _neighbours[at], ahead = _neighbours[at + 1];
            float sides = (back >= 0 ? from[back] : 0f) + (ahead >= 0 ? from[ahead] : 0f);
            to[v] = 0.5f * from[v] + 0.25f * sides;
        }
    }

    /// <summary>Reads the blurred vertex values back at points [start, end).</summary>
    public void Slice(ReadOnlySpan<float> vertexValues, Span<float> pointValues, int start, int end)
    {
        for (int p = start; p < end; p++) pointValues[p] = SliceAt(vertexValues, p);
    }

    /// <summary>The blurred vertex values read back at one point.</summary>
    public float SliceAt(ReadOnlySpan<float> vertexValues, int point)
    {
        float sum = 0;
        for (int corner = 0; corner < Corners; corner++)
        {
            int entry = point * Corners + corner;
            sum += _pointWeight[entry] * vertexValues[_pointVertex[entry]];
        }

        return sum;
    }

    /// <summary>Splat, the blur along every direction and slice on the calling thread (tests and the normaliser).</summary>
    /// <param name="pointValues">One value per point.</param>
    /// <param name="filtered">One value per point: the filtered values, up to the lattice's overall scale.</param>
    /// <param name="vertexScratch">At least 2 · <see cref="Vertices"/> values.</param>
    public void Filter(ReadOnlySpan<float> pointValues, Span<float> filtered, Span<float> vertexScratch)
    {
        Span<float> a = vertexScratch[..Vertices], b = vertexScratch.Slice(Vertices, Vertices);
        Splat(pointValues, a, 0, Vertices);
        for (int direction = 0; direction < Corners; direction++)
        {
            Blur(direction, a, b, 0, Vertices);
            Span<float> t = a;
            a = b;
            b = t;
        }

        Slice(a, filtered, 0, Points);
    }

    /// <summary>
    /// Lifts a point onto the hyperplane Σ = 0 of 6-D (scaled so that the blur matches a unit-σ Gaussian in the point's
    /// space), finds the nearest lattice point of remainder 0, the rank of each coordinate's remainder, and the point's
    /// barycentric weights in its simplex.
    /// </summary>
    private static void Locate(ReadOnlySpan<float> point, Span<float> elevated, Span<int> nearest, Span<int> rank, Span<float> barycentric)
    {
        const int d = Dimension;
        float sum = 0;
        for (int i = d; i > 0; i--)
        {
            float c = point[i - 1] * Scale[i - 1];
            elevated[i] = sum - i * c;
            sum += c;
        }

        elevated[0] = sum;
        int total = 0;
        for (int i = 0; i <= d; i++)
        {
            float v = elevated[i] / Corners;
            int up = (int)MathF.Ceiling(v) * Corners, down = (int)MathF.Floor(v) * Corners;
            nearest[i] = up - elevated[i] < elevated[i] - down ? up : down;
            total += nearest[i];
        }

        total /= Corners;
        rank.Clear();
        for (int i = 0; i < d; i++)
        {
            for (int j = i + 1; j <= d; j++)
            {
                if (elevated[i] - nearest[i] < elevated[j] - nearest[j]) rank[i]++;
                else rank[j]++;
            }
        }

        // The rounded point is off the hyperplane by `total` steps: move the coordinates with the largest (or smallest)
        // remainders by one lattice step to bring it back.
        if (total > 0)
        {
            for (int i = 0; i <= d; i++)
            {
                if (rank[i] >= Corners - total)
                {
                    nearest[i] -= Corners;
                    rank[i] += total - Corners;
                }
                else
                {
                    rank[i] += total;
                }
            }
        }
        else if (total < 0)
        {
            for (int i = 0; i <= d; i++)
            {
                if (rank[i] < -total)
                {
                    nearest[i] += Corners;
                    rank[i] += Corners + total;
                }
                else
                {
                    rank[i] += total;
                }
            }
        }

        barycentric.Clear();
        for (int i = 0; i <= d; i++)
        {
            float delta = (elevated[i] - nearest[i]) / Corners;
            barycentric[d - rank[i]] += delta;
            barycentric[d + 1 - rank[i]] -= delta;
        }

        barycentric[0] += 1f + barycentric[d + 1];
    }

    /// <summary>Per coordinate, the lift's scale: √(2/3)·(d + 1) / √((i + 1)(i + 2)).</summary>
    private static readonly float[] Scale = MakeScale();

    private static float[] MakeScale()
    {
        var scale = new float[Dimension];
        for (int i = 0; i < Dimension; i++) scale[i] = (float)(Math.Sqrt(2.0 / 3.0) * Corners / Math.Sqrt((i + 1.0) * (i + 2.0)));
        return scale;
    }

    private static UInt128 Pack(ReadOnlySpan<int> key)
    {
        UInt128 packed = 0;
        for (int i = 0; i < Dimension; i++) packed = (packed << 16) | (ushort)(short)key[i];
        return packed;
    }

    private static void Unpack(UInt128 packed, Span<int> key)
    {
        for (int i = Dimension - 1; i >= 0; i--)
        {
            key[i] = (short)(ushort)(packed & 0xFFFF);
            packed >>= 16;
        }
    }
}
