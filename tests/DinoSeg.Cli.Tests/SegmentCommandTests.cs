using System.Text.Json;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg segment</c> through the real process: the happy path and every documented error.</summary>
public sealed class SegmentCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out => Path.Combine(_dir, "out");

    [Fact]
    public void Segment_SamplePhoto_WritesAllViewsAtOriginalSize()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--out", Out);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Empty(r.StdErr);
        string[] files = ["mask.png", "soft-mask.png", "similarity.png", "overlay.png", "cutout.png", "panel.png"];
        Assert.Equal(files.Order(), Directory.GetFiles(Out).Select(Path.GetFileName).Order());
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal((451, 300), (mask.Width, mask.Height));
        Assert.Equal(8, Image.Identify(Path.Combine(Out, "mask.png")).PixelType.BitsPerPixel);
        Assert.Equal(8, Image.Identify(Path.Combine(Out, "soft-mask.png")).PixelType.BitsPerPixel);
        Assert.Equal(32, Image.Identify(Path.Combine(Out, "cutout.png")).PixelType.BitsPerPixel);
        Assert.Equal(255, mask[172, 115].PackedValue); // the clicked eye
        Assert.Equal(255, mask[318, 137].PackedValue); // and the other one
        Assert.All(Enumerable.Range(0, 300).SelectMany(y => new[] { mask[0, y].PackedValue, mask[450, y].PackedValue }), v => Assert.True(v is 0 or 255));
    }

    [Fact]
    public void Segment_Json_PrintsOneObjectWithSizesDeviceThresholdAreaAndTimings()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--seed", "260,140",
            "--threshold", "0.25", "--sigma", "2", "--device", "cpu", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal(600, root.GetProperty("image").GetProperty("width").GetInt32());
        Assert.Equal(400, root.GetProperty("image").GetProperty("height").GetInt32());
        Assert.Equal(16, root.GetProperty("patchSize").GetInt32());
        Assert.True(root.GetProperty("grid").GetProperty("rows").GetInt32() > 0);
        Assert.Equal("resnet18-s16", root.GetProperty("backbone").GetString());
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal(0.25, root.GetProperty("threshold").GetDouble(), 6);
        Assert.Equal(2, root.GetProperty("seeds").GetArrayLength());
        Assert.InRange(root.GetProperty("maskAreaFraction").GetDouble(), 0.001, 0.5);
        JsonElement timings = root.GetProperty("timingsMs");
        foreach (string stage in new[] { "decode", "extract", "segment" }) Assert.True(timings.GetProperty(stage).GetDouble() >= 0);
    }

    [Fact]
    public void Segment_GraphPropagation_SelectsTheSeed_AndJsonReportsIt()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--propagation", "graph", "--device", "cpu",
            "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal("graph", root.GetProperty("propagation").GetString());
        Assert.InRange(root.GetProperty("threshold").GetDouble(), 0, 1); // a ranked map lies in [0, 1]
        Assert.InRange(root.GetProperty("maskAreaFraction").GetDouble(), 0.01, 0.9);
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[290, 150].PackedValue);
    }

    [Fact]
    public void Segment_NegativeOnTheOtherEye_RemovesIt_AndJsonReportsThePrompt()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--negative", "318,137",
            "--negative", "60,220", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal("[[318,137],[60,220]]", root.GetProperty("negatives").GetRawText());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("box").ValueKind);
        Assert.False(root.GetProperty("keepSeedRegions").GetBoolean());
        Assert.Equal(0, root.GetProperty("minRegionArea").GetInt32());
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(0, mask[318, 137].PackedValue);
    }

    [Fact]
    public void Segment_KeepSeedRegions_DropsTheOtherEye_AndMinAreaIsReported()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--keep-seed-regions",
            "--min-area", "50", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.True(doc.RootElement.GetProperty("keepSeedRegions").GetBoolean());
        Assert.Equal(50, doc.RootElement.GetProperty("minRegionArea").GetInt32());
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(0, mask[318, 137].PackedValue); // selected without the option (see the first test): a separate region
    }

    [Fact]
    public void Segment_Box_SelectsInsideTheBoxPlusMarginOnly()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--box", "205,95,370,195", "--box-margin", "0.2",
            "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal("[205,95,370,195]", root.GetProperty("box").GetRawText());
        Assert.Equal("[172,75,403,215]", root.GetProperty("boxLimit").GetRawText());
        Assert.Equal(0.2, root.GetProperty("boxMargin").GetDouble(), 6);
        Assert.Equal(0, root.GetProperty("seeds").GetArrayLength());
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[290, 150].PackedValue);
        int outside = 0;
        for (int y = 0; y < mask.Height; y++)
        {
            for (int x = 0; x < mask.Width; x++)
            {
                if (mask[x, y].PackedValue != 0 && (x < 172 || x >= 403 || y < 75 || y >= 215)) outside++;
            }
        }

        Assert.Equal(0, outside);
    }

    [Fact]
    public void Segment_PlainText_NamesThePrompt()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--negative", "318,137",
            "--box", "100,50,400,250", "--keep-seed-regions", "--out", Out);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("prompt: seeds 172,115, negatives 318,137, box 100,50,400,250, seed regions only", r.StdOut);
    }

    [Fact]
    public void Help_ListsTheContract()
    {
        var r = CliProcess.Run("segment", "--help");

        Assert.Equal(0, r.ExitCode);
        foreach (string option in new[] { "--seed", "--negative", "--box", "--box-margin", "--keep-seed-regions", "--min-area", "--threshold", "--sigma", "--backbone", "--model", "--device", "--out", "--json" })
        {
            Assert.Contains(option, r.StdOut);
        }
    }

    public static TheoryData<string, string[], int, string> Errors => new()
    {
        { "missing file", ["segment", "/no/such.png", "--seed", "1,1", "--out", "{out}"], 2, "file not found" },
        { "empty file", ["segment", "{empty}", "--seed", "1,1", "--out", "{out}"], 3, "empty" },
        { "not an image", ["segment", "{text}", "--seed", "1,1", "--out", "{out}"], 3, "no supported image format" },
        { "truncated", ["segment", "{truncated}", "--seed", "1,1", "--out", "{out}"], 3, "cut short" },
        { "10 gigapixels", ["segment", "{huge}", "--seed", "1,1", "--out", "{out}"], 3, "100000x100000" },
        { "seed outside", ["segment", "{photo}", "--seed", "451,10", "--out", "{out}"], 2, "--seed 451,10: The point must lie inside the 451x300 image" },
        // Checked against the decoded image before the backbone loads: the bad model would fail with exit 4 otherwise.
        { "seed outside, before the model", ["segment", "{photo}", "--seed", "451,10", "--backbone", "dinov3", "--model", "{text}", "--out", "{out}"], 2, "--seed 451,10: The point must lie inside the 451x300 image" },
        { "threshold too big, before the model", ["segment", "{photo}", "--seed", "1,1", "--threshold", "1.5", "--backbone", "dinov3", "--model", "{text}", "--out", "{out}"], 2, "--threshold 1.5: The threshold must be a number in [-1, 1]" },
        { "seed unparsable", ["segment", "{photo}", "--seed", "ten,10", "--out", "{out}"], 2, "expects X,Y" },
        { "seed missing", ["segment", "{photo}", "--out", "{out}"], 2, "--seed: At least one positive seed or a box is needed" },
        { "threshold NaN", ["segment", "{photo}", "--seed", "1,1", "--threshold", "NaN", "--out", "{out}"], 2, "[-1, 1]" },
        { "rule with a fixed threshold", ["segment", "{photo}", "--seed", "1,1", "--threshold", "0.2", "--rule", "otsu", "--out", "{out}"], 2, "--rule only applies with --threshold auto" },
        { "unknown rule", ["segment", "{photo}", "--seed", "1,1", "--threshold", "auto", "--rule", "best", "--out", "{out}"], 2, "Argument 'best' not recognized. Must be one of: 'ranked-otsu'" },
        { "unknown refinement", ["segment", "{photo}", "--seed", "1,1", "--refine", "lattice", "--out", "{out}"], 2, "Argument 'lattice' not recognized. Must be one of: 'none' 'guided'" },
        { "unknown propagation", ["segment", "{photo}", "--seed", "1,1", "--propagation", "walk", "--out", "{out}"], 2, "Argument 'walk' not recognized. Must be one of: 'graph' 'none'" },
        { "threshold twice", ["segment", "{photo}", "--seed", "1,1", "--threshold", "auto", "--threshold", "0.2", "--out", "{out}"], 2, "Option '--threshold' expects a single argument but 2 were provided" },
        { "threshold too big", ["segment", "{photo}", "--seed", "1,1", "--threshold", "1.5", "--out", "{out}"], 2, "--threshold 1.5: The threshold must be a number in [-1, 1]" },
        { "negative outside", ["segment", "{photo}", "--seed", "1,1", "--negative", "5,300", "--out", "{out}"], 2, "--negative 5,300: The point must lie inside the 451x300 image" },
        { "negative unparsable", ["segment", "{photo}", "--seed", "1,1", "--negative", "5;5", "--out", "{out}"], 2, "--negative expects X,Y in whole pixels (e.g. 120,80), not '5;5'" },
        { "seed missing with negative", ["segment", "{photo}", "--negative", "5,5", "--out", "{out}"], 2, "--seed: At least one positive seed or a box is needed" },
        { "box unparsable", ["segment", "{photo}", "--box", "1,2,3", "--out", "{out}"], 2, "--box expects X0,Y0,X1,Y1" },
        { "box inverted", ["segment", "{photo}", "--box", "50,10,20,40", "--out", "{out}"], 2, "--box 50,10,20,40: The box must lie inside the 451x300 image with 0 ≤ X0 < X1 ≤ 451 and 0 ≤ Y0 < Y1 ≤ 300" },
        { "box outside", ["segment", "{photo}", "--box", "10,10,452,40", "--out", "{out}"], 2, "--box 10,10,452,40: The box must lie inside the 451x300 image" },
        { "box twice", ["segment", "{photo}", "--box", "1,1,5,5", "--box", "1,1,5,5", "--out", "{out}"], 2, "Option '--box' expects a single argument but 2 were provided" },
        { "box margin without box", ["segment", "{photo}", "--seed", "1,1", "--box-margin", "0.2", "--out", "{out}"], 2, "--box-margin needs --box" },
        { "box margin negative", ["segment", "{photo}", "--box", "1,1,5,5", "--box-margin", "-1", "--out", "{out}"], 2, "--box-margin -1: The margin is a fraction of the box size in [0, 10]" },
        { "min area negative", ["segment", "{photo}", "--seed", "1,1", "--min-area", "-5", "--out", "{out}"], 2, "--min-area -5: The area is a pixel count: 0 or more" },
        { "min area fraction", ["segment", "{photo}", "--seed", "1,1", "--min-area", "2.5", "--out", "{out}"], 2, "Cannot parse argument '2.5' for option '--min-area'" },
        { "missing model", ["segment", "{photo}", "--seed", "1,1", "--backbone", "dinov3", "--model", "/no/model.onnx", "--out", "{out}"], 2, "file not found" },
        { "not an onnx model", ["segment", "{photo}", "--seed", "1,1", "--backbone", "dinov3", "--model", "{text}", "--out", "{out}"], 4, "ONNX" },
        { "model without backbone", ["segment", "{photo}", "--seed", "1,1", "--model", "{text}", "--out", "{out}"], 2, "--model needs a backbone that is not embedded" },
        { "cuda without cuda", ["segment", "{photo}", "--seed", "1,1", "--device", "cuda", "--out", "{out}"], 5, "this dinoseg runs on the CPU build of ONNX Runtime" },
        { "unknown option", ["segment", "{photo}", "--seed", "1,1", "--colour", "red", "--out", "{out}"], 2, "Unrecognized command or argument '--colour'" },
        { "unknown command", ["paint", "{photo}"], 2, "Unrecognized command or argument 'paint'" },
        { "scales beyond the library's limit", ["segment", "{photo}", "--seed", "1,1", "--scales", "512,9000", "--out", "{out}"], 2, "--scales 9000: Long side above 8192 px is not supported" },
        { "no command", [], 2, "Required command was not provided" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Segment_BadInput_FailsWithOneLineAndNoOutputFiles(string scenario, string[] args, int exitCode, string message)
    {
        var r = CliProcess.Run(args.Select(Expand).ToArray());

        Assert.True(exitCode == r.ExitCode, $"{scenario}: exit {r.ExitCode}, stderr: {r.StdErr}");
        string error = r.StdErr.TrimEnd('\n');
        Assert.DoesNotContain('\n', error);
        Assert.StartsWith("dinoseg: error: ", error);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(Out) && Directory.EnumerateFileSystemEntries(Out).Any(), $"{scenario}: files were written");
    }

    private string Expand(string arg) => arg switch
    {
        "{out}" => Out,
        "{photo}" => TestPaths.Image("chelsea.png"),
        "{empty}" => Write("empty.png", []),
        "{text}" => Write("notes.txt", "not an image, not a model"u8.ToArray()),
        "{truncated}" => Write("cut.jpg", File.ReadAllBytes(TestPaths.Image("rocket.jpg"))[..20000]),
        "{huge}" => Write("huge.png", HostileFiles.PngHeaderOnly(100_000, 100_000)),
        _ => arg,
    };

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
