using System.Globalization;
using System.Text.Json;
using DinoSeg.Masks;

namespace DinoSeg.Tests.Masks;

/// <summary>
/// Mask → polygons, checked by rasterising the polygons back with a scanline rasteriser (even-odd at pixel centres):
/// exact at tolerance 0 on any mask, within a stated IoU when simplified; holes, orientation and the export formats.
/// </summary>
public sealed class MaskContoursTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// Even-odd scanline fill of every ring of every polygon, sampled at pixel centres (x + ½, y + ½). Vertices are whole
    /// numbers, so a centre never lies on a vertex or a horizontal edge.
    /// </summary>
    internal static byte[] Rasterise(IReadOnlyList<MaskPolygon> polygons, int width, int height)
    {
        var rings = polygons.SelectMany(p => new[] { p.Outer }.Concat(p.Holes)).ToList();
        var mask = new byte[width * height];
        var crossings = new List<double>();
        for (int y = 0; y < height; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            foreach (IReadOnlyList<PixelPoint> ring in rings)
            {
                for (int i = 0; i < ring.Count; i++)
                {
                    PixelPoint a = ring[i], b = ring[(i + 1) % ring.Count];
                    if ((a.Y < cy) == (b.Y < cy)) continue;
                    crossings.Add(a.X + (cy - a.Y) * (b.X - a.X) / (b.Y - a.Y));
                }
            }

            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixels whose centre lies in [left, right).
                int x0 = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5)), x1 = Math.Min(width, (int)Math.Ceiling(crossings[k + 1] - 0.5));
                for (int x = x0; x < x1; x++) mask[y * width + x] = 255;
            }
        }

        return mask;
    }

    public static TheoryData<int, int> Sizes => new() { { 1, 1 }, { 1, 9 }, { 11, 1 }, { 2, 2 }, { 3, 3 }, { 7, 5 }, { 40, 30 }, { 97, 61 }, { 160, 120 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Trace_ToleranceZero_RasterisesBackToTheMaskExactly(int width, int height)
    {
        var random = new Random(width * 13 + height);
        for (int trial = 0; trial < 10; trial++)
        {
            // Arrange: noise (every kind of diagonal touch and one-pixel hole) and blobs with rings.
            byte[] mask = trial switch
            {
                0 => new byte[width * height],
                1 => Enumerable.Repeat((byte)255, width * height).ToArray(),
                < 6 => MaskTestData.Noise(random, width, height, 0.2 * (trial - 1)),
                _ => MaskTestData.Blobs(random, width, height),
            };

            // Act
            IReadOnlyList<MaskPolygon> polygons = MaskContours.Trace(mask, width, height);

            // Assert: the same pixels, one polygon per 8-connected region, one hole per enclosed 4-connected off region.
            byte[] back = Rasterise(polygons, width, height);
            int same = mask.AsSpan().CommonPrefixLength(back);
            Assert.True(same == mask.Length, $"{width}x{height} trial {trial}: pixel ({same % width},{same / width}) differs.");
            MaskTestData.Components(mask, width, height, on: true, eight: true, out List<int> regions, out _);
            MaskTestData.Components(mask, width, height, on: false, eight: false, out _, out List<bool> border);
            Assert.Equal(regions.Count, polygons.Count);
            Assert.Equal(border.Count(b => !b), polygons.Sum(p => p.Holes.Count));
            Assert.Equal(mask.Count(b => b != 0), polygons.Sum(p => p.Area));
            Assert.All(polygons, p =>
            {
                Assert.True(MaskPolygon.SignedArea(p.Outer) > 0);
                Assert.All(p.Holes, h => Assert.True(MaskPolygon.SignedArea(h) < 0));
            });
        }
    }

    [Theory]
    [InlineData(0.5, 0.99)]
    [InlineData(1.0, 0.97)]
    [InlineData(2.0, 0.94)]
    public void Trace_SmallTolerance_StaysWithinTheStatedIoU(double tolerance, double minIoU)
    {
        var random = new Random(21);
        int fewer = 0, total = 0;
        double worst = 1;
        for (int trial = 0; trial < 12; trial++)
        {
            // Blobs without noise: shapes a segmentation gives (noise specks vanish by design when simplified).
            byte[] mask = MaskTestData.Blobs(random, 200, 150, noise: 0);
            IReadOnlyList<MaskPolygon> exact = MaskContours.Trace(mask, 200, 150);
            IReadOnlyList<MaskPolygon> simple = MaskContours.Trace(mask, 200, 150, tolerance);

            double iou = MaskTestData.IoU(mask, Rasterise(simple, 200, 150));

            Assert.True(iou >= minIoU, $"trial {trial}: IoU {iou:0.0000} at tolerance {tolerance}");
            worst = Math.Min(worst, iou);
            fewer += simple.Sum(p => p.Outer.Count + p.Holes.Sum(h => h.Count));
            total += exact.Sum(p => p.Outer.Count + p.Holes.Sum(h => h.Count));
        }

        output.WriteLine($"tolerance {tolerance}: lowest IoU {worst:0.0000}, {fewer} of {total} vertices kept");
        // Half a pixel keeps the staircase corners of diagonal edges (they lie 0.71 px off the diagonal); a pixel drops them.
        Assert.True(tolerance < 1 ? fewer < total : fewer < total / 2, $"simplification kept {fewer} of {total} vertices");
    }

    [Fact]
    public void Trace_Annulus_IsOneOuterRingWithOneHoleInOppositeOrientation()
    {
        string[] rows =
        [
            "......",
            ".####.",
            ".#..#.",
            ".#..#.",
            ".####.",
            "......",
        ];
        byte[] mask = Parse(rows);

        MaskPolygon polygon = Assert.Single(MaskContours.Trace(mask, 6, 6));

        Assert.Equal([new(1, 1), new(5, 1), new(5, 5), new(1, 5)], polygon.Outer);
        IReadOnlyList<PixelPoint> hole = Assert.Single(polygon.Holes);
        Assert.Equal(16, MaskPolygon.SignedArea(polygon.Outer));
        Assert.Equal(-4, MaskPolygon.SignedArea(hole));
        Assert.Equal(12, polygon.Area);
        Assert.Equal(4, hole.Count);
    }

    [Fact]
    public void Trace_DiagonalTouch_IsOneRegion()
    {
        // 8-connected, as the region options: two pixels meeting at a corner are one polygon.
        byte[] mask = Parse(["#.", ".#"]);

        MaskPolygon polygon = Assert.Single(MaskContours.Trace(mask, 2, 2));

        Assert.Equal(2, polygon.Area);
        Assert.Empty(polygon.Holes);
        Assert.Equal(mask, Rasterise([polygon], 2, 2));
    }

    [Fact]
    public void Trace_HugeTolerance_DropsRingsThatCollapse()
    {
        byte[] mask = Parse(["#...", "....", "..##", "..##"]);

        Assert.Empty(MaskContours.Trace(mask, 4, 4, tolerance: 5));
        Assert.Equal(2, MaskContours.Trace(mask, 4, 4).Count);
    }

    [Fact]
    public void Trace_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => MaskContours.Trace(new byte[5], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskContours.Trace(new byte[4], 2, 2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskContours.Trace(new byte[4], 2, 2, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskContours.Trace([], 0, 2));
    }

    [Fact]
    public void ToGeoJson_ClosedRingsOuterFirst_ReadBackToTheMask()
    {
        var random = new Random(8);
        byte[] mask = MaskTestData.Blobs(random, 60, 40);
        IReadOnlyList<MaskPolygon> polygons = MaskContours.Trace(mask, 60, 40);

        using JsonDocument doc = JsonDocument.Parse(PolygonFormats.ToGeoJson(polygons, 60, 40));

        JsonElement geometry = doc.RootElement.GetProperty("geometry");
        Assert.Equal("Feature", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("MultiPolygon", geometry.GetProperty("type").GetString());
        Assert.Equal(60, doc.RootElement.GetProperty("properties").GetProperty("imageWidth").GetInt32());
        var read = new List<MaskPolygon>();
        foreach (JsonElement polygon in geometry.GetProperty("coordinates").EnumerateArray())
        {
            var rings = polygon.EnumerateArray().Select(ring =>
            {
                PixelPoint[] points = [.. ring.EnumerateArray().Select(p => new PixelPoint(p[0].GetInt32(), p[1].GetInt32()))];
                Assert.Equal(points[0], points[^1]); // closed
                return points[..^1];
            }).ToList();
            Assert.True(MaskPolygon.SignedArea(rings[0]) > 0);
            read.Add(Polygon(rings));
        }

        Assert.Equal(polygons.Count, read.Count);
        Assert.Equal(mask, Rasterise(read, 60, 40));
    }

    [Fact]
    public void ToSvgPath_ParsesBackToTheRings()
    {
        byte[] mask = Parse(["......", ".####.", ".#..#.", ".####.", "#....."]);
        IReadOnlyList<MaskPolygon> polygons = MaskContours.Trace(mask, 6, 5);

        string path = PolygonFormats.ToSvgPath(polygons);
        string svg = PolygonFormats.ToSvg(polygons, 6, 5);

        // "M x y L x y … Z" per ring, outer then holes.
        var rings = path.Split('Z', StringSplitOptions.RemoveEmptyEntries).Select(sub => sub.Trim()).ToList();
        var expected = polygons.SelectMany(p => new[] { p.Outer }.Concat(p.Holes)).ToList();
        Assert.Equal(expected.Count, rings.Count);
        for (int r = 0; r < rings.Count; r++)
        {
            string[] numbers = rings[r].Replace('M', ' ').Replace('L', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            PixelPoint[] points = [.. numbers.Chunk(2).Select(c => new PixelPoint(int.Parse(c[0], CultureInfo.InvariantCulture), int.Parse(c[1], CultureInfo.InvariantCulture)))];
            Assert.Equal(expected[r], points);
        }

        Assert.Contains("viewBox=\"0 0 6 5\"", svg);
        Assert.Contains($"d=\"{path}\"", svg);
        Assert.Contains("fill-rule=\"evenodd\"", svg);
    }

    [Fact]
    public void ToYoloLines_NormalisedOuterRingsOnePerRegion()
    {
        byte[] mask = Parse(["##..", "##..", "....", "...#"]);
        IReadOnlyList<MaskPolygon> polygons = MaskContours.Trace(mask, 4, 4);

        string yolo = PolygonFormats.ToYoloLines(polygons, 4, 4, classId: 3);

        Assert.Equal("3 0 0 0.5 0 0.5 0.5 0 0.5\n3 0.75 0.75 1 0.75 1 1 0.75 1\n", yolo);
    }

    [Fact]
    public void ToYoloLines_ReadBack_WithinTheStatedIoUOfTheMask()
    {
        // A hole-free ellipse: the line's points, scaled back, rasterise to the mask (up to the simplification).
        byte[] mask = new byte[120 * 80];
        for (int y = 0; y < 80; y++)
        {
            for (int x = 0; x < 120; x++) mask[y * 120 + x] = Math.Pow((x - 60) / 50.0, 2) + Math.Pow((y - 40) / 30.0, 2) <= 1 ? (byte)255 : (byte)0;
        }

        string line = PolygonFormats.ToYoloLines(MaskContours.Trace(mask, 120, 80, 1), 120, 80).Trim();
        double[] v = [.. line.Split(' ').Skip(1).Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
        PixelPoint[] ring = [.. v.Chunk(2).Select(c => new PixelPoint((int)Math.Round(c[0] * 120), (int)Math.Round(c[1] * 80)))];

        double iou = MaskTestData.IoU(mask, Rasterise([Polygon([ring])], 120, 80));

        Assert.StartsWith("0 ", line);
        Assert.True(iou >= 0.97, $"IoU {iou:0.0000}");
    }

    /// <summary>A polygon from rings read back from a file (outer first).</summary>
    private static MaskPolygon Polygon(List<PixelPoint[]> rings) => new(rings[0], rings.Skip(1).ToList());

    private static byte[] Parse(string[] rows) => [.. rows.SelectMany(r => r.Select(c => c == '#' ? (byte)255 : (byte)0))];
}
