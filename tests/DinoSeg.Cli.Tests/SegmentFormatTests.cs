using System.Globalization;
using System.Text.Json;
using DinoSeg.Masks;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// <c>dinoseg segment --format</c> and the clean-up options through the real process: every export decoded back and compared
/// with mask.png, and the documented errors.
/// </summary>
public sealed class SegmentFormatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-format-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out => Path.Combine(_dir, "out");

    private static readonly string[] Views = ["mask.png", "soft-mask.png", "similarity.png", "overlay.png", "cutout.png", "panel.png"];
    private static readonly string[] Exports = ["mask.rle.json", "coco.json", "mask.geojson", "mask.svg", "mask.yolo.txt"];

    [Fact]
    public void Segment_FormatAll_WritesEveryExport_AndEachDecodesBackToMaskPng()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--format", "all",
            "--polygon-tolerance", "0", "--device", "cpu", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(Views.Concat(Exports).Order(), Directory.GetFiles(Out).Select(Path.GetFileName).Order());
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(Views.Length + Exports.Length, doc.RootElement.GetProperty("outputs").GetArrayLength());
        byte[] mask = ReadMask(out int w, out int h);
        Assert.Contains(mask, v => v != 0);

        // COCO RLE, uncompressed counts.
        using var rle = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, "mask.rle.json")));
        Assert.Equal([h, w], rle.RootElement.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()));
        int[] counts = [.. rle.RootElement.GetProperty("counts").EnumerateArray().Select(e => e.GetInt32())];
        Assert.Equal(mask, CocoRle.FromCounts(counts, w, h).Decode());

        // COCO document: compressed counts, area and file name.
        using var coco = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, "coco.json")));
        JsonElement annotation = coco.RootElement.GetProperty("annotations")[0];
        string compressed = annotation.GetProperty("segmentation").GetProperty("counts").GetString()!;
        Assert.Equal(mask, CocoRle.FromCompressedString(compressed, w, h).Decode());
        Assert.Equal(mask.Count(v => v != 0), annotation.GetProperty("area").GetInt64());
        Assert.Equal("chelsea.png", coco.RootElement.GetProperty("images")[0].GetProperty("file_name").GetString());

        // GeoJSON polygons at tolerance 0: exact, read back pixel for pixel.
        using var geo = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, "mask.geojson")));
        var rings = geo.RootElement.GetProperty("geometry").GetProperty("coordinates").EnumerateArray()
            .SelectMany(p => p.EnumerateArray())
            .Select(ring => ring.EnumerateArray().Select(v => (v[0].GetDouble(), v[1].GetDouble())).ToArray())
            .ToList();
        Assert.Equal(mask, Rasterise(rings, w, h));

        // SVG path and YOLO lines: the same outer rings.
        string svg = File.ReadAllText(Path.Combine(Out, "mask.svg"));
        Assert.Contains($"viewBox=\"0 0 {w} {h}\"", svg);
        Assert.Equal(rings.Count, svg.Count(c => c == 'M'));
        string[] lines = File.ReadAllLines(Path.Combine(Out, "mask.yolo.txt"));
        Assert.Equal(geo.RootElement.GetProperty("geometry").GetProperty("coordinates").GetArrayLength(), lines.Length);
        Assert.All(lines, line =>
        {
            string[] parts = line.Split(' ');
            Assert.Equal("0", parts[0]);
            Assert.True(parts.Length % 2 == 1 && parts.Length >= 7);
            Assert.All(parts.Skip(1), v => Assert.InRange(double.Parse(v, CultureInfo.InvariantCulture), 0, 1));
        });
    }

    [Fact]
    public void Segment_FormatRleAlone_WritesOnlyThatFile()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--format", "rle", "--device", "cpu", "--out", Out);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(["mask.rle.json"], Directory.GetFiles(Out).Select(Path.GetFileName));
        Assert.Contains("wrote mask.rle.json", r.StdOut);
    }

    [Fact]
    public void Segment_RepeatedAndCommaSeparatedFormats_Combine()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--format", "yolo,svg", "--format", "coco",
            "--device", "cpu", "--out", Out);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(new[] { "coco.json", "mask.svg", "mask.yolo.txt" }, Directory.GetFiles(Out).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Segment_FillHolesAndSmooth_AreAppliedAndReported()
    {
        var plain = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--device", "cpu", "--format", "rle", "--out", Out);
        Assert.True(plain.ExitCode == 0, plain.StdErr);
        int[] before = ReadCounts();

        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--fill-holes", "1000000", "--smooth", "3",
            "--device", "cpu", "--format", "rle,png", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(1000000, doc.RootElement.GetProperty("fillHolesArea").GetInt32());
        Assert.Equal(3, doc.RootElement.GetProperty("smoothRadius").GetInt32());
        byte[] mask = ReadMask(out int w, out int h);
        Assert.NotEqual(before, ReadCounts());
        // No hole is left: every off pixel reaches the border through off pixels (4-connected).
        Assert.Equal(0, EnclosedOffPixels(mask, w, h));
        var text = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--fill-holes", "500", "--smooth", "2",
            "--device", "cpu", "--format", "rle", "--out", Out);
        Assert.Contains("holes up to 500 px filled, outline smoothed (radius 2 px)", text.StdOut);
    }

    [Fact]
    public void Eval_FillHolesAndSmooth_ReportedInJson()
    {
        string set = Directory.CreateDirectory(Path.Combine(_dir, "set")).FullName;
        foreach (string name in new[] { "photos/coins.png", "photos/coins.mask.png" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "EvalSet", name), Path.Combine(set, Path.GetFileName(name)));
        }

        var r = CliProcess.Run("eval", set, "--fill-holes", "400", "--smooth", "2", "--max-clicks", "2", "--device", "cpu", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(400, doc.RootElement.GetProperty("fillHolesArea").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("smoothRadius").GetInt32());
    }

    [Fact]
    public void Help_ListsTheNewOptions()
    {
        string segment = CliProcess.Run("segment", "--help").StdOut, eval = CliProcess.Run("eval", "--help").StdOut;

        foreach (string option in new[] { "--format", "png|rle|coco|polygons|svg|yolo|all", "--polygon-tolerance", "--fill-holes", "--smooth" }) Assert.Contains(option, segment);
        foreach (string option in new[] { "--fill-holes", "--smooth" }) Assert.Contains(option, eval);
    }

    public static TheoryData<string[], string> Errors => new()
    {
        { ["segment", "{photo}", "--seed", "1,1", "--format", "tiff", "--out", "{out}"], "--format takes png, rle, coco" },
        { ["segment", "{photo}", "--seed", "1,1", "--format", "png,", "--out", "{out}"], "not ''" },
        { ["segment", "{photo}", "--seed", "1,1", "--polygon-tolerance", "2", "--out", "{out}"], "--polygon-tolerance needs --format" },
        { ["segment", "{photo}", "--seed", "1,1", "--format", "svg", "--polygon-tolerance", "-1", "--out", "{out}"], "--polygon-tolerance -1: " },
        { ["segment", "{photo}", "--seed", "1,1", "--fill-holes", "-3", "--out", "{out}"], "--fill-holes -3: The area is a pixel count: 0 (off) or more" },
        { ["segment", "{photo}", "--seed", "1,1", "--smooth", "300", "--out", "{out}"], "--smooth 300: The radius must be in [0, 256] pixels" },
        { ["segment", "{photo}", "--seed", "1,1", "--smooth", "1", "--smooth", "2", "--out", "{out}"], "Option '--smooth' expects a single argument but 2 were provided" },
        { ["eval", "{dir}", "--smooth", "x"], "Cannot parse argument 'x' for option '--smooth'" },
        { ["eval", "{dir}", "--fill-holes", "1.5"], "Cannot parse argument '1.5' for option '--fill-holes'" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void BadFormatOrCleanUp_FailsWithOneLineAndNoOutputFiles(string[] args, string message)
    {
        var r = CliProcess.Run([.. args.Select(a => a.Replace("{out}", Out).Replace("{photo}", TestPaths.Image("chelsea.png")).Replace("{dir}", _dir))]);

        Assert.Equal(2, r.ExitCode);
        string error = r.StdErr.TrimEnd('\n');
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("dinoseg: error: ", error);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Out));
    }

    private byte[] ReadMask(out int width, out int height)
    {
        using var image = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        (width, height) = (image.Width, image.Height);
        var bytes = new byte[width * height];
        image.CopyPixelDataTo(bytes);
        return bytes;
    }

    private int[] ReadCounts()
    {
        using var rle = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, "mask.rle.json")));
        return [.. rle.RootElement.GetProperty("counts").EnumerateArray().Select(e => e.GetInt32())];
    }

    /// <summary>Off pixels that cannot reach the border through off pixels (4-connected flood from the border).</summary>
    private static int EnclosedOffPixels(byte[] mask, int w, int h)
    {
        var reached = new bool[mask.Length];
        var queue = new Queue<int>();
        for (int i = 0; i < mask.Length; i++)
        {
            int x = i % w, y = i / w;
            if (mask[i] == 0 && (x == 0 || y == 0 || x == w - 1 || y == h - 1)) { reached[i] = true; queue.Enqueue(i); }
        }

        while (queue.Count > 0)
        {
            int p = queue.Dequeue();
            int px = p % w, py = p / w;
            foreach ((int dx, int dy) in new[] { (1, 0), (-1, 0), (0, 1), (0, -1) })
            {
                int x = px + dx, y = py + dy;
                if (x < 0 || y < 0 || x >= w || y >= h) continue;
                int q = y * w + x;
                if (mask[q] != 0 || reached[q]) continue;
                reached[q] = true;
                queue.Enqueue(q);
            }
        }

        return Enumerable.Range(0, mask.Length).Count(i => mask[i] == 0 && !reached[i]);
    }

    /// <summary>Even-odd scanline fill of closed rings at pixel centres.</summary>
    private static byte[] Rasterise(List<(double X, double Y)[]> rings, int width, int height)
    {
        var mask = new byte[width * height];
        var crossings = new List<double>();
        for (int y = 0; y < height; y++)
        {
            double cy = y + 0.5;
            crossings.Clear();
            foreach (var ring in rings)
            {
                for (int i = 0; i + 1 < ring.Length; i++) // closed: the last vertex repeats the first
                {
                    var (a, b) = (ring[i], ring[i + 1]);
                    if ((a.Y < cy) != (b.Y < cy)) crossings.Add(a.X + (cy - a.Y) * (b.X - a.X) / (b.Y - a.Y));
                }
            }

            crossings.Sort();
            for (int k = 0; k + 1 < crossings.Count; k += 2)
            {
                int x0 = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5)), x1 = Math.Min(width, (int)Math.Ceiling(crossings[k + 1] - 0.5));
                for (int x = x0; x < x1; x++) mask[y * width + x] = 255;
            }
        }

        return mask;
    }
}
