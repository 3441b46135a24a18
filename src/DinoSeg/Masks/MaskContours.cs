namespace DinoSeg.Masks;

/// <summary>
/// Mask → polygons: the outline of every connected region of a binary mask (outer ring and holes), traced along pixel
/// edges and optionally simplified, with exports as GeoJSON-like JSON and as an SVG path.
/// </summary>
/// <remarks>
/// Regions are 8-connected as everywhere in DinoSeg (<see cref="SegmentationOptions.KeepSeedRegionsOnly"/>): pixels that
/// touch only at a corner belong to one region, whose outer ring then passes that corner twice (it touches itself at one
/// vertex; tools that insist on OGC-valid rings repair that with <c>buffer(0)</c> or <c>make_valid</c>). Holes are the
/// 4-connected regions of off pixels that a region encloses, as for <see cref="SegmentationOptions.FillHolesArea"/>.
/// With tolerance 0 the rings are exact: every pixel whose centre lies inside a polygon is on in the mask, and only those.
/// Stateless and thread-safe.
/// </remarks>
public static class MaskContours
{
    // Directions, clockwise on the image (y down): right turn = +1, left turn = −1 (mod 4).
    private const int East = 0, South = 1, West = 2;
    private static ReadOnlySpan<int> StepX => [1, 0, -1, 0];
    private static ReadOnlySpan<int> StepY => [0, 1, 0, -1];

    /// <summary>Traces the regions of a segmentation's <see cref="SegmentationResult.Mask"/>.</summary>
    /// <inheritdoc cref="Trace(ReadOnlySpan{byte}, int, int, double)"/>
    public static IReadOnlyList<MaskPolygon> Trace(SegmentationResult result, double tolerance = 0)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Trace(result.Mask, result.Width, result.Height, tolerance);
    }

    /// <summary>
    /// Traces the outline of every connected region of <paramref name="mask"/> and simplifies each ring with Douglas–Peucker
    /// at <paramref name="tolerance"/> pixels (0 keeps every corner: the exact outline).
    /// </summary>
    /// <param name="mask">Row-major mask, 0 = off, anything else = on.</param>
    /// <param name="width">Row length.</param>
    /// <param name="height">Rows.</param>
    /// <param name="tolerance">
    /// The largest distance, in pixels, that simplification may move the outline (0 to 1000). A ring that simplifies to fewer
    /// than 3 vertices is dropped (with its holes, for an outer ring): specks about the tolerance's size disappear.
    /// </param>
    /// <returns>One polygon per region, in the order their first pixel appears row by row.</returns>
    /// <exception cref="ArgumentException">The mask length is not <paramref name="width"/> × <paramref name="height"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the tolerance is outside [0, 1000].</exception>
    public static IReadOnlyList<MaskPolygon> Trace(ReadOnlySpan<byte> mask, int width, int height, double tolerance = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (mask.Length != (long)width * height)
        {
            throw new ArgumentException($"Expected a mask of {width}x{height} = {(long)width * height} bytes, found {mask.Length}.", nameof(mask));
        }

        if (!(tolerance >= 0 && tolerance <= 1000)) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance is in [0, 1000] pixels.");

        var labels = new int[mask.Length];
        int regions = new RegionFilter().LabelRegions(mask, width, height, labels);
        var outers = new PixelPoint[regions][];
        var holes = new List<PixelPoint[]>[regions];
        var visited = new bool[mask.Length]; // the top edges already traced, one per pixel
        var ring = new List<PixelPoint>();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                // Every ring has a top edge (an on pixel under an off one or the border); start each ring at its first one.
                if (mask[i] == 0 || visited[i] || (y > 0 && mask[i - width] != 0)) continue;
                TraceRing(mask, width, height, x, y, visited, ring);
                PixelPoint[]? simplified = Simplify(ring, tolerance);
                int region = labels[i];
                // The first ring met of a region is its outer ring: any pixel above a region's first pixel lies outside it.
                if (outers[region] is null)
                {
                    outers[region] = simplified ?? [];
                }
                else if (simplified is not null)
                {
                    (holes[region] ??= []).Add(simplified);
                }
            }
        }

        var polygons = new List<MaskPolygon>(regions);
        for (int r = 0; r < regions; r++)
        {
            if (outers[r].Length == 0) continue;
            polygons.Add(new MaskPolygon(outers[r], holes[r] is { } h ? h.ToArray() : []));
        }

        return polygons;
    }

    /// <summary>
    /// Follows the pixel edges from the top-left corner of pixel (<paramref name="x0"/>, <paramref name="y0"/>) eastwards with
    /// the region on the right-hand side (on the image), keeping the vertices where the direction changes.
    /// </summary>
    private static void TraceRing(ReadOnlySpan<byte> mask, int width, int height, int x0, int y0, bool[] visited, List<PixelPoint> ring)
    {
        ring.Clear();
        ring.Add(new PixelPoint(x0, y0));
        int vx = x0, vy = y0, d = East;
        while (true)
        {
            if (d == East) visited[vy * width + vx] = true; // the top edge of pixel (vx, vy)
            vx += StepX[d];
            vy += StepY[d];
            // The two pixels ahead of vertex (vx, vy): ahead-left and ahead-right of the heading.
            (int lx, int ly, int rx, int ry) = d switch
            {
                East => (vx, vy - 1, vx, vy),
                South => (vx, vy, vx - 1, vy),
                West => (vx - 1, vy, vx - 1, vy - 1),
                _ => (vx - 1, vy - 1, vx, vy - 1),
            };
            // Ahead-left on: turn left (also at a diagonal touch, which joins the two pixels: 8-connected). Else ahead-right
            // on: straight on. Else turn right.
            int next = On(mask, width, height, lx, ly) ? (d + 3) & 3 : On(mask, width, height, rx, ry) ? d : (d + 1) & 3;
            if (vx == x0 && vy == y0 && next == East) return;
            if (next != d) ring.Add(new PixelPoint(vx, vy));
            d = next;
        }
    }

    private static bool On(ReadOnlySpan<byte> mask, int width, int height, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height && mask[y * width + x] != 0;

    /// <summary>Douglas–Peucker on a closed ring; null when fewer than 3 vertices are left.</summary>
    private static PixelPoint[]? Simplify(List<PixelPoint> ring, double tolerance)
    {
        int m = ring.Count;
        if (tolerance == 0 || m <= 3) return m >= 3 ? [.. ring] : null;
        // Split the ring at its first vertex and the vertex farthest from it, then simplify both open halves.
        int far = 0;
        long best = -1;
        for (int i = 1; i < m; i++)
        {
            long dx = ring[i].X - ring[0].X, dy = ring[i].Y - ring[0].Y;
            if (dx * dx + dy * dy > best) (best, far) = (dx * dx + dy * dy, i);
        }

        var keep = new bool[m + 1];
        keep[0] = keep[far] = keep[m] = true;
        var stack = new Stack<(int, int)>();
        stack.Push((0, far));
        stack.Push((far, m));
        double limit = tolerance * tolerance;
        while (stack.Count > 0)
        {
            (int a, int b) = stack.Pop();
            PixelPoint pa = ring[a % m], pb = ring[b % m];
            int worst = -1;
            double worstDistance = limit;
            for (int i = a + 1; i < b; i++)
            {
                double d = SquaredDistanceToSegment(ring[i], pa, pb);
                if (d > worstDistance) (worstDistance, worst) = (d, i);
            }

            if (worst < 0) continue;
            keep[worst] = true;
            stack.Push((a, worst));
            stack.Push((worst, b));
        }

        var kept = new List<PixelPoint>(m);
        for (int i = 0; i < m; i++)
        {
            if (keep[i]) kept.Add(ring[i]);
        }

        return kept.Count >= 3 ? kept.ToArray() : null;
    }

    private static double SquaredDistanceToSegment(PixelPoint p, PixelPoint a, PixelPoint b)
    {
        double abx = b.X - a.X, aby = b.Y - a.Y, apx = p.X - a.X, apy = p.Y - a.Y;
        double length = abx * abx + aby * aby;
        double t = length == 0 ? 0 : Math.Clamp((apx * abx + apy * aby) / length, 0, 1);
        double dx = apx - t * abx, dy = apy - t * aby;
        return dx * dx + dy * dy;
    }
}
