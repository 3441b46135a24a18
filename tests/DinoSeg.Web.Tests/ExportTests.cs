using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DinoSeg.Masks;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>
/// The export routes, decoded back: each format turned into a mask again and compared with the library's mask PNG for the
/// same query (the view route, which the page's own mask is tested against).
/// </summary>
[Collection(WebCollection.Name)]
public sealed partial class ExportTests(WebFixture web)
{
    // The astronaut with a seed on her suit: two regions, one of them with two holes, at this threshold.
    private const string Sample = "astronaut.jpg", Stem = "astronaut", Query = "seeds=250,250&threshold=0.2";
    private const int Width = 512, Height = 512;

    /// <summary>
    /// How close a one-pixel simplified outline (the default tolerance) stays to the mask, rasterised back at pixel centres:
    /// measured 0.9993 for this query; stated with room.
    /// </summary>
    private const double SimplifiedIoU = 0.99;

    /// <summary>YOLO-seg lines carry no holes, so they also cover the holes: measured 0.9916 for this query.</summary>
    private const double YoloIoU = 0.97;

    private HttpClient Http => web.Http;

    [Fact]
    public async Task Rle_DecodesToExactlyTheLibrarysMask()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/rle?{Query}");
        string text = await ReadAsync(response, "application/json");
        CocoRle rle = ParseRle(JsonDocument.Parse(text).RootElement);

        Assert.Equal((Width, Height), (rle.Width, rle.Height));
        Assert.Equal(0, Differences(expected, [.. rle.Decode().Select(v => v != 0)]));
        Assert.Equal(expected.Count(v => v), rle.Area);
        Assert.Equal($"{Stem}-mask.rle.json", response.Content.Headers.ContentDisposition?.FileName);
    }

    [Fact]
    public async Task CocoDocument_ItsAnnotationIsTheMask_WithAreaAndBox()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/coco?{Query}");
        using JsonDocument doc = JsonDocument.Parse(await ReadAsync(response, "application/json"));
        JsonElement image = doc.RootElement.GetProperty("images")[0], annotation = doc.RootElement.GetProperty("annotations")[0];
        CocoRle rle = ParseRle(annotation.GetProperty("segmentation"));

        Assert.Equal(Sample, image.GetProperty("file_name").GetString());
        Assert.Equal(0, Differences(expected, [.. rle.Decode().Select(v => v != 0)]));
        Assert.Equal(expected.Count(v => v), annotation.GetProperty("area").GetInt64());
        int[] bbox = [.. annotation.GetProperty("bbox").EnumerateArray().Select(v => v.GetInt32())];
        Assert.Equal(Bounds(expected, Width, Height), (bbox[0], bbox[1], bbox[2], bbox[3]));
    }

    [Fact]
    public async Task GeoJson_Exact_RasterisesBackToTheMask_Simplified_WithinTheStatedIoU()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        List<List<(double X, double Y)>> exact = await GeoJsonRingsAsync(id, "&tolerance=0");
        List<List<(double X, double Y)>> simplified = await GeoJsonRingsAsync(id, "");

        Assert.True(exact.Count >= 3, $"expected several regions and holes, found {exact.Count} rings");
        Assert.Equal(0, Differences(expected, Rasterise(exact, Width, Height)));
        double iou = IoU(expected, Rasterise(simplified, Width, Height));
        Assert.True(iou >= SimplifiedIoU, $"IoU {iou:0.0000} of the 1-px simplified polygons");
        Assert.True(simplified.Sum(r => r.Count) < exact.Sum(r => r.Count) / 2, "simplification drops most vertices");
    }

    [Fact]
    public async Task Svg_PathRasterisesBackToTheMask()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/svg?{Query}&tolerance=0");
        string svg = await ReadAsync(response, "image/svg+xml");
        Assert.Contains("viewBox=\"0 0 512 512\"", svg, StringComparison.Ordinal);
        string path = PathData().Match(svg).Groups[1].Value;
        var rings = new List<List<(double X, double Y)>>();
        foreach (string subpath in path.Split('Z', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            double[] numbers = [.. subpath.Split([' ', 'M', 'L'], StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
            rings.Add([.. Enumerable.Range(0, numbers.Length / 2).Select(i => (numbers[2 * i], numbers[2 * i + 1]))]);
        }

        Assert.Equal(0, Differences(expected, Rasterise(rings, Width, Height)));
    }

    [Fact]
    public async Task Yolo_LinesNormalised_RasteriseBackWithinTheStatedIoU()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/yolo?{Query}");
        string[] lines = (await ReadAsync(response, "text/plain")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var filled = new bool[Width * Height];
        foreach (string line in lines)
        {
            double[] v = [.. line.Split(' ').Skip(1).Select(t => double.Parse(t, CultureInfo.InvariantCulture))];
            Assert.Equal("0", line.Split(' ')[0]);
            Assert.All(v, c => Assert.InRange(c, 0, 1));
            // Each line is one object, so the lines add up (a ring inside another is a second object, not a hole).
            bool[] one = Rasterise([[.. Enumerable.Range(0, v.Length / 2).Select(i => (v[2 * i] * Width, v[2 * i + 1] * Height))]], Width, Height);
            for (int i = 0; i < filled.Length; i++) filled[i] |= one[i];
        }

        double iou = IoU(expected, filled);
        Assert.True(iou >= YoloIoU, $"IoU {iou:0.0000} of the YOLO-seg lines");
    }

    [Fact]
    public async Task Zip_HoldsEveryExportAndThePngs_WhichMatchTheRoutes()
    {
        string id = await OpenAsync(Sample);
        bool[] expected = await LibraryMaskAsync(id);

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/zip?{Query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"{Stem}-exports.zip", response.Content.Headers.ContentDisposition?.FileName);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));

        string[] names = [.. zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal)];
        Assert.Equal(["coco.json", "cutout.png", "mask.geojson", "mask.png", "mask.rle.json", "mask.svg", "mask.yolo.txt", "overlay.png", "prompt.json", "soft-mask.png"], names);
        using (Image<L8> mask = Image.Load<L8>(zip.GetEntry("mask.png")!.Open()))
        {
            Assert.Equal(0, Differences(expected, Pixels(mask)));
        }

        using (Stream rle = zip.GetEntry("mask.rle.json")!.Open())
        {
            Assert.Equal(0, Differences(expected, [.. ParseRle(JsonDocument.Parse(rle).RootElement).Decode().Select(v => v != 0)]));
        }

        using Stream promptStream = zip.GetEntry("prompt.json")!.Open();
        using JsonDocument prompt = JsonDocument.Parse(promptStream);
        Assert.Equal(0.2, prompt.RootElement.GetProperty("threshold").GetDouble(), 5);
        Assert.Equal(expected.Count(v => v), prompt.RootElement.GetProperty("selectedPixels").GetInt32());
        Assert.Equal(1, prompt.RootElement.GetProperty("seeds").GetArrayLength());
        using Image<Rgba32> cutout = Image.Load<Rgba32>(zip.GetEntry("cutout.png")!.Open());
        Assert.Equal((Width, Height), (cutout.Width, cutout.Height));
    }

    [Fact]
    public async Task Exports_RefuseAnUnknownFormatAndABadTolerance_WithProblems()
    {
        string id = await OpenAsync(Sample);

        using HttpResponseMessage unknown = await Http.GetAsync($"/api/images/{id}/exports/tiff?{Query}");
        using HttpResponseMessage tolerance = await Http.GetAsync($"/api/images/{id}/exports/geojson?{Query}&tolerance=-1");
        using HttpResponseMessage noSeed = await Http.GetAsync($"/api/images/{id}/exports/rle?threshold=0.2");

        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "exports: rle, coco, geojson, svg, yolo, zip");
        await AssertProblemAsync(tolerance, HttpStatusCode.BadRequest, "tolerance");
        await AssertProblemAsync(noSeed, HttpStatusCode.BadRequest, "?seeds=x,y");
    }

    [Fact]
    public async Task OpenApi_DescribesTheExportRoute()
    {
        using HttpResponseMessage response = await Http.GetAsync("/openapi/v1.json");
        using JsonDocument doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement get = doc.RootElement.GetProperty("paths").GetProperty("/api/images/{id}/exports/{format}").GetProperty("get");

        string[] parameters = [.. get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!)];
        Assert.Contains("tolerance", parameters);
        Assert.Contains("seeds", parameters);
        JsonElement ok = get.GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.True(ok.TryGetProperty("application/zip", out _) && ok.TryGetProperty("application/geo+json", out _));
        Assert.True(get.GetProperty("responses").GetProperty("404").GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    private async Task<string> OpenAsync(string sample)
    {
        using HttpResponseMessage response = await Http.PostAsync($"/api/samples/{sample}", null);
        using JsonDocument info = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return info.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The library's mask for <see cref="Query"/>, from the view route.</summary>
    private async Task<bool[]> LibraryMaskAsync(string id)
    {
        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/views/mask.png?{Query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using Image<L8> mask = Image.Load<L8>(await response.Content.ReadAsByteArrayAsync());
        return Pixels(mask);
    }

    private async Task<List<List<(double X, double Y)>>> GeoJsonRingsAsync(string id, string extra)
    {
        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/exports/geojson?{Query}{extra}");
        using JsonDocument doc = JsonDocument.Parse(await ReadAsync(response, "application/geo+json"));
        JsonElement geometry = doc.RootElement.GetProperty("geometry");
        Assert.Equal("MultiPolygon", geometry.GetProperty("type").GetString());
        return
        [
            .. geometry.GetProperty("coordinates").EnumerateArray().SelectMany(polygon => polygon.EnumerateArray())
                .Select(ring => ring.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList()),
        ];
    }

    private static async Task<string> ReadAsync(HttpResponseMessage response, string mediaType)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        return text;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(message, JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static CocoRle ParseRle(JsonElement rle)
    {
        int[] size = [.. rle.GetProperty("size").EnumerateArray().Select(v => v.GetInt32())];
        return CocoRle.FromCompressedString(rle.GetProperty("counts").GetString()!, width: size[1], height: size[0]);
    }

    private static bool[] Pixels(Image<L8> image)
    {
        var on = new bool[image.Width * image.Height];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                Span<L8> row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) on[y * rows.Width + x] = row[x].PackedValue > 127;
            }
        });
        return on;
    }

    /// <summary>
    /// The pixels whose centres lie inside the rings by the even-odd rule (holes run inside outer rings): a scanline fill
    /// at each row's centre, independent of the library's tracer.
    /// </summary>
    private static bool[] Rasterise(List<List<(double X, double Y)>> rings, int width, int height)
    {
        var on = new bool[width * height];
        var crossings = new List<double>();
        for (int y = 0; y < height; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            foreach (List<(double X, double Y)> ring in rings)
            {
                for (int i = 0; i < ring.Count; i++)
                {
                    var (ax, ay) = ring[i];
                    var (bx, by) = ring[(i + 1) % ring.Count];
                    if ((ay <= cy) == (by <= cy)) continue; // the edge does not cross this row's centre line
                    crossings.Add(ax + (cy - ay) * (bx - ax) / (by - ay));
                }
            }

            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixel x is inside when its centre x + 0.5 lies between a pair of crossings.
                int from = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5)), to = Math.Min(width - 1, (int)Math.Ceiling(crossings[k + 1] - 0.5) - 1);
                for (int x = from; x <= to; x++) on[y * width + x] = true;
            }
        }

        return on;
    }

    private static int Differences(bool[] a, bool[] b)
    {
        Assert.Equal(a.Length, b.Length);
        int differ = 0;
        for (int i = 0; i < a.Length; i++) differ += a[i] != b[i] ? 1 : 0;
        return differ;
    }

    private static double IoU(bool[] a, bool[] b)
    {
        int both = 0, either = 0;
        for (int i = 0; i < a.Length; i++)
        {
            both += a[i] && b[i] ? 1 : 0;
            either += a[i] || b[i] ? 1 : 0;
        }

        return either == 0 ? 1 : (double)both / either;
    }

    private static (int X, int Y, int Width, int Height) Bounds(bool[] mask, int width, int height)
    {
        int x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int i = 0; i < mask.Length; i++)
        {
            if (!mask[i]) continue;
            int x = i % width, y = i / width;
            (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
        }

        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    [GeneratedRegex("""<path[^>]* d="([^"]*)"/>""")]
    private static partial Regex PathData();
}
