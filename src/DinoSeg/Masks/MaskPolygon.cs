namespace DinoSeg.Masks;

/// <summary>
/// One connected region of a mask as a polygon: its outer ring and the rings of its holes. Vertices are pixel corners:
/// (x, y) is the top-left corner of pixel (x, y), so coordinates run from 0 to the image width and height, x to the right
/// and y down. Rings are open (the first vertex is not repeated at the end) and have at least 3 vertices.
/// </summary>
/// <remarks>
/// Orientation: <see cref="Outer"/> has a positive signed (shoelace) area Σ (xᵢ·yᵢ₊₁ − xᵢ₊₁·yᵢ) / 2 in these coordinates and
/// every hole a negative one. That is RFC 7946's right-hand rule (outer rings counter-clockwise, holes clockwise) when the
/// coordinates are read as a plane with y up, which is how GeoJSON tools (shapely, turf, GDAL) compute orientation; drawn on
/// the image, with y down, outer rings run clockwise. Immutable; thread-safe.
/// </remarks>
public sealed class MaskPolygon
{
    internal MaskPolygon(PixelPoint[] outer, IReadOnlyList<PixelPoint[]> holes)
    {
        Outer = outer;
        Holes = holes;
    }

    /// <summary>The outer ring (positive signed area).</summary>
    public IReadOnlyList<PixelPoint> Outer { get; }

    /// <summary>The rings of the holes (negative signed area each), in the order their top-left pixel appears row by row.</summary>
    public IReadOnlyList<IReadOnlyList<PixelPoint>> Holes { get; }

    /// <summary>The enclosed area in square pixels: the outer ring's area less the holes'.</summary>
    public double Area
    {
        get
        {
            double area = SignedArea(Outer);
            foreach (IReadOnlyList<PixelPoint> hole in Holes) area += SignedArea(hole);
            return area;
        }
    }

    /// <summary>Half the shoelace sum of a ring (positive for outer rings, negative for holes).</summary>
    public static double SignedArea(IReadOnlyList<PixelPoint> ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        long twice = 0;
        for (int i = 0; i < ring.Count; i++)
        {
            PixelPoint a = ring[i], b = ring[(i + 1) % ring.Count];
            twice += (long)a.X * b.Y - (long)b.X * a.Y;
        }

        return twice / 2.0;
    }
}
