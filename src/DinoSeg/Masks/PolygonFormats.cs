using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DinoSeg.Masks;

/// <summary>
/// Writes traced polygons (<see cref="MaskContours.Trace(ReadOnlySpan{byte}, int, int, double)"/>) in the formats that
/// labelling and GIS tools read: GeoJSON-like JSON, an SVG path or document, and YOLO segmentation label lines.
/// </summary>
/// <remarks>Stateless and thread-safe. Numbers are written with the invariant culture.</remarks>
public static class PolygonFormats
{
    /// <summary>
    /// A GeoJSON Feature whose geometry is a MultiPolygon of the polygons in pixel-corner coordinates (x right, y down;
    /// rings closed by repeating their first vertex, outer rings first with the orientation that
    /// <see cref="MaskPolygon"/> describes); <c>properties</c> holds the image size and the coordinate convention.
    /// </summary>
    /// <param name="polygons">The polygons.</param>
    /// <param name="width">Image width in pixels (written into the properties).</param>
    /// <param name="height">Image height in pixels.</param>
    public static string ToGeoJson(IReadOnlyList<MaskPolygon> polygons, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "Feature");
            json.WriteStartObject("properties");
            json.WriteNumber("imageWidth", width);
            json.WriteNumber("imageHeight", height);
            json.WriteString("coordinates", "image pixels: (x, y) is the top-left corner of pixel (x, y), y down");
            json.WriteEndObject();
            json.WriteStartObject("geometry");
            json.WriteString("type", "MultiPolygon");
            json.WriteStartArray("coordinates");
            foreach (MaskPolygon polygon in polygons)
            {
                json.WriteStartArray();
                WriteRing(json, polygon.Outer);
                foreach (IReadOnlyList<PixelPoint> hole in polygon.Holes) WriteRing(json, hole);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteRing(Utf8JsonWriter json, IReadOnlyList<PixelPoint> ring)
    {
        json.WriteStartArray();
        for (int i = 0; i <= ring.Count; i++)
        {
            PixelPoint p = ring[i % ring.Count];
            json.WriteStartArray();
            json.WriteNumberValue(p.X);
            json.WriteNumberValue(p.Y);
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// The SVG path data of the polygons: one <c>M … L … Z</c> subpath per ring, in image pixels. Fill it with
    /// <c>fill-rule="evenodd"</c> (or the default nonzero: holes run the other way round) to draw the mask.
    /// </summary>
    public static string ToSvgPath(IReadOnlyList<MaskPolygon> polygons)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        var path = new StringBuilder();
        foreach (MaskPolygon polygon in polygons)
        {
            AppendRing(path, polygon.Outer);
            foreach (IReadOnlyList<PixelPoint> hole in polygon.Holes) AppendRing(path, hole);
        }

        return path.ToString();
    }

    private static void AppendRing(StringBuilder path, IReadOnlyList<PixelPoint> ring)
    {
        if (path.Length > 0) path.Append(' ');
        for (int i = 0; i < ring.Count; i++)
        {
            path.Append(i == 0 ? 'M' : 'L').Append(ring[i].X.ToString(CultureInfo.InvariantCulture))
                .Append(' ').Append(ring[i].Y.ToString(CultureInfo.InvariantCulture));
        }

        path.Append('Z');
    }

    /// <summary>
    /// A standalone SVG document the size of the image (its viewBox in image pixels) with the polygons as one white
    /// even-odd path on a transparent background: it lines up with the image when laid over it.
    /// </summary>
    public static string ToSvg(IReadOnlyList<MaskPolygon> polygons, int width, int height)
    {
        string w = width.ToString(CultureInfo.InvariantCulture), h = height.ToString(CultureInfo.InvariantCulture);
        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">
              <path fill="#ffffff" fill-rule="evenodd" d="{ToSvgPath(polygons)}"/>
            </svg>

            """;
    }

    /// <summary>
    /// YOLO segmentation labels (what Ultralytics trains on): one line per polygon, <c>CLASS x1 y1 x2 y2 …</c>, the outer
    /// ring's vertices divided by the image width and height (so in [0, 1]), 6 decimals. The format has no holes: they are
    /// left out, and each region of the mask becomes its own line (Ultralytics reads each line as one object).
    /// </summary>
    /// <param name="polygons">The polygons.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="classId">The class index written first on each line (0 or more).</param>
    public static string ToYoloLines(IReadOnlyList<MaskPolygon> polygons, int width, int height, int classId = 0)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(classId);
        var lines = new StringBuilder();
        foreach (MaskPolygon polygon in polygons)
        {
            lines.Append(classId.ToString(CultureInfo.InvariantCulture));
            foreach (PixelPoint p in polygon.Outer)
            {
                lines.Append(' ').Append(((double)p.X / width).ToString("0.######", CultureInfo.InvariantCulture))
                    .Append(' ').Append(((double)p.Y / height).ToString("0.######", CultureInfo.InvariantCulture));
            }

            lines.Append('\n');
        }

        return lines.ToString();
    }
}
