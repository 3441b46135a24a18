using System.Text.Json;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg eval</c> through the real process, on two pairs of the committed evaluation set.</summary>
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-eval-").FullName;

    public EvalCommandTests()
    {
        foreach (string name in new[] { "composites/gravel-square-on-grass.png", "composites/gravel-square-on-grass.mask.png", "photos/coins.png", "photos/coins.mask.png" })
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "EvalSet", name), Path.Combine(_dir, Path.GetFileName(name)));
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_Json_ReportsPerImageScoresAndMeans()
    {
        // No threshold, rule or propagation given: the library's defaults, the same as dinoseg segment's.
        var r = CliProcess.Run("eval", _dir, "--max-clicks", "5", "--device", "cpu", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal("auto", root.GetProperty("threshold").GetString());
        Assert.Equal("stable-single", root.GetProperty("rule").GetString());
        Assert.Equal("graph", root.GetProperty("propagation").GetString());
        Assert.Equal(5, root.GetProperty("maxClicks").GetInt32());
        JsonElement[] images = [.. root.GetProperty("images").EnumerateArray()];
        Assert.Equal(["coins", "gravel-square-on-grass"], images.Select(i => i.GetProperty("name").GetString()));
        foreach (JsonElement image in images)
        {
            Assert.InRange(image.GetProperty("firstClickIoU").GetDouble(), 0, 1);
            Assert.InRange(image.GetProperty("noc85").GetInt32(), 1, 5);
            Assert.InRange(image.GetProperty("noc90").GetInt32(), 1, 5);
            Assert.StartsWith("+", image.GetProperty("clicks")[0].GetString());
        }

        double mean = images.Average(i => i.GetProperty("firstClickIoU").GetDouble());
        Assert.Equal(mean, root.GetProperty("mean").GetProperty("firstClickIoU").GetDouble(), 3);
    }

    [Fact]
    public void Eval_Text_PrintsATableAndTheMean()
    {
        var r = CliProcess.Run("eval", _dir, "--threshold", "0.1", "--refine", "guided", "--max-clicks", "3", "--device", "cpu");

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("threshold 0.1", r.StdOut);
        Assert.Contains("refine guided r16", r.StdOut);
        Assert.Contains("coins", r.StdOut);
        Assert.Contains("gravel-square-on-grass", r.StdOut);
        Assert.Contains("mean", r.StdOut);
    }

    [Fact]
    public void Eval_GrabCut_RefinesAndSaysSo()
    {
        var r = CliProcess.Run("eval", _dir, "--threshold", "0.1", "--refine", "grabcut", "--max-clicks", "2", "--device", "cpu", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("grabcut", doc.RootElement.GetProperty("refinement").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("refineRadius").ValueKind);
        Assert.All(doc.RootElement.GetProperty("images").EnumerateArray(), i => Assert.InRange(i.GetProperty("firstClickIoU").GetDouble(), 0, 1));
    }

    [Fact]
    public void Eval_Crf_RefinesAndReportsItsSettings()
    {
        var r = CliProcess.Run("eval", _dir, "--threshold", "0.1", "--refine", "crf", "--crf-temperature", "0.1", "--crf-bilateral", "4,30,15",
            "--max-clicks", "2", "--device", "cpu", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("crf", doc.RootElement.GetProperty("refinement").GetString());
        JsonElement crf = doc.RootElement.GetProperty("crf");
        Assert.Equal(0.1, crf.GetProperty("temperature").GetDouble());
        Assert.Equal(4, crf.GetProperty("bilateralWeight").GetDouble());
        Assert.Equal(30, crf.GetProperty("bilateralSpatial").GetDouble());
        Assert.Equal(15, crf.GetProperty("bilateralColor").GetDouble());
        Assert.Equal(CrfOptions.Default.SmoothnessWeight, crf.GetProperty("smoothnessWeight").GetDouble());
        Assert.All(doc.RootElement.GetProperty("images").EnumerateArray(), i => Assert.InRange(i.GetProperty("firstClickIoU").GetDouble(), 0, 1));
    }

    [Fact]
    public void Eval_GroupsAndGraphPropagation_ReportedPerGroupInJson()
    {
        // Subfolders are groups: move each pair into one.
        foreach (var (name, group) in new[] { ("coins", "photos"), ("gravel-square-on-grass", "composites") })
        {
            Directory.CreateDirectory(Path.Combine(_dir, group));
            foreach (string file in Directory.GetFiles(_dir, name + ".*")) File.Move(file, Path.Combine(_dir, group, Path.GetFileName(file)));
        }

        var r = CliProcess.Run("eval", _dir, "--threshold", "0.4", "--propagation", "graph", "--graph-k", "8", "--graph-barrier", "0.25", "--graph-negative-weight", "0.9", "--max-clicks", "3", "--device", "cpu", "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        JsonElement root = doc.RootElement;
        Assert.Equal("graph", root.GetProperty("propagation").GetString());
        Assert.Equal(8, root.GetProperty("graphNeighbours").GetInt32());
        Assert.Equal(0.25, root.GetProperty("graphBarrier").GetDouble());
        Assert.Equal(0.9, root.GetProperty("graphNegativeWeight").GetDouble());
        JsonElement[] groups = [.. root.GetProperty("groups").EnumerateArray()];
        Assert.Equal(["composites", "photos"], groups.Select(g => g.GetProperty("name").GetString()));
        foreach (JsonElement group in groups)
        {
            Assert.Equal(1, group.GetProperty("count").GetInt32());
            JsonElement image = root.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("group").GetString() == group.GetProperty("name").GetString());
            Assert.Equal(image.GetProperty("firstClickIoU").GetDouble(), group.GetProperty("firstClickIoU").GetDouble(), 3);
            double[] ious = [.. image.GetProperty("ious").EnumerateArray().Select(v => v.GetDouble())];
            Assert.Equal(ious[Math.Min(2, ious.Length) - 1], group.GetProperty("secondClickIoU").GetDouble(), 3);
        }
    }

    [Fact]
    public void Eval_Layer3BackboneAndLongSide_RunTheEmbeddedModelAsAsked()
    {
        // The earlier layer-3-only features against the fused default, at another long side: how the two are compared.
        var layer3 = CliProcess.Run("eval", _dir, "--backbone", "resnet18-l3", "--max-clicks", "1", "--device", "cpu", "--json");
        var fused = CliProcess.Run("eval", _dir, "--long-side", "384", "--max-clicks", "1", "--device", "cpu", "--json");

        Assert.True(layer3.ExitCode == 0, layer3.StdErr);
        Assert.True(fused.ExitCode == 0, fused.StdErr);
        using var a = JsonDocument.Parse(layer3.StdOut);
        using var b = JsonDocument.Parse(fused.StdOut);
        Assert.Equal("resnet18-l3", a.RootElement.GetProperty("backbone").GetString());
        Assert.Equal("resnet18-s16", b.RootElement.GetProperty("backbone").GetString());
        Assert.Equal([0f, 1f, 0f], a.RootElement.GetProperty("blockWeights").EnumerateArray().Select(w => w.GetSingle()));
        Assert.Equal([0.5f, 1f, 0.5f], b.RootElement.GetProperty("blockWeights").EnumerateArray().Select(w => w.GetSingle()));
    }

    [Fact]
    public void Eval_BlockWeights_LayerThreeAlone_ScoresExactlyAsTheLayer3Backbone()
    {
        // resnet18-l3 is the fused preset with weights 0,1,0: given as --block-weights, every score must be the same.
        var preset = CliProcess.Run("eval", _dir, "--backbone", "resnet18-l3", "--max-clicks", "2", "--device", "cpu", "--json");
        var weighted = CliProcess.Run("eval", _dir, "--block-weights", "0,1,0", "--max-clicks", "2", "--device", "cpu", "--json");
        var fused = CliProcess.Run("eval", _dir, "--max-clicks", "2", "--device", "cpu", "--json");

        foreach (var r in new[] { preset, weighted, fused }) Assert.True(r.ExitCode == 0, r.StdErr);
        using var a = JsonDocument.Parse(preset.StdOut);
        using var b = JsonDocument.Parse(weighted.StdOut);
        using var c = JsonDocument.Parse(fused.StdOut);
        Assert.Equal([0f, 1f, 0f], b.RootElement.GetProperty("blockWeights").EnumerateArray().Select(w => w.GetSingle()));
        Assert.Equal(a.RootElement.GetProperty("images").GetRawText(), b.RootElement.GetProperty("images").GetRawText());
        // The fused default scores otherwise on these images, so the equality above is the weights' doing.
        Assert.NotEqual(c.RootElement.GetProperty("images").GetRawText(), b.RootElement.GetProperty("images").GetRawText());
    }

    [Fact]
    public void Help_ListsTheOptions()
    {
        var r = CliProcess.Run("eval", "--help");

        Assert.Equal(0, r.ExitCode);
        foreach (string option in new[] { "--threshold", "--rule", "--sigma", "--refine", "--scales", "--propagation", "--long-side", "resnet18-l3", "--block-weights", "--max-clicks", "--json" }) Assert.Contains(option, r.StdOut);
    }

    public static TheoryData<string[], int, string> Errors => new()
    {
        { ["eval"], 2, "Required argument 'DIR' missing for command: 'eval'" },
        { ["eval", "/no/such/dir"], 2, "no folder" },
        { ["eval", "{empty}"], 3, "image + mask pairs" },
        { ["eval", "{dir}", "--threshold", "0.3", "--rule", "otsu"], 2, "--rule only applies with --threshold auto" },
        { ["eval", "{dir}", "--threshold", "auto", "--rule", "best"], 2, "Argument 'best' not recognized" },
        { ["eval", "{dir}", "--threshold", "2"], 2, "--threshold 2: The threshold must be in [-1, 1]" },
        { ["eval", "{dir}", "--scales", "512"], 2, "--scales: Give at least two long sides" },
        { ["eval", "{dir}", "--refine-radius", "4"], 2, "need --refine guided" },
        { ["eval", "{dir}", "--refine", "lattice"], 2, "Argument 'lattice' not recognized" },
        { ["eval", "{dir}", "--refine", "none", "--crf-bilateral", "3,20,13"], 2, "need --refine crf" },
        { ["eval", "{dir}", "--refine", "crf", "--crf-bilateral", "3,20"], 2, "--crf-bilateral expects W,SPATIAL,COLOR" },
        { ["eval", "{dir}", "--refine", "crf", "--crf-smooth", "1,100"], 2, "--crf-smooth 100: θγ must be in [0.25, 16] working-grid pixels" },
        { ["eval", "{dir}", "--refine", "grabcut", "--refine-radius", "4"], 2, "need --refine guided" },
        { ["eval", "{dir}", "--block-weights", "0.5,1"], 2, "--block-weights: Give one weight per block: 3" },
        { ["eval", "{dir}", "--block-weights", "0.5,one,1"], 2, "--block-weights expects comma-separated numbers" },
        { ["eval", "{dir}", "--block-weights", "0.5,-1,1"], 2, "--block-weights: Block 'ReLU347_Output_0' has weight -1: weights must be finite and at least 0" },
        { ["eval", "{dir}", "--block-weights", "0,0,0"], 2, "--block-weights: At least one block needs a weight above 0" },
        { ["eval", "{dir}", "--backbone", "dinov3", "--model", "x.onnx", "--block-weights", "1"], 2, "--block-weights needs a backbone that fuses several outputs" },
        { ["eval", "{dir}", "--max-clicks", "0"], 2, "--max-clicks 0: maxClicks ('0') must be a non-negative and non-zero value" },
        { ["eval", "{dir}", "--backbone", "dinov3"], 2, "needs --model" },
        { ["eval", "{dir}", "--backbone", "resnet18-l3", "--model", "x.onnx"], 2, "is embedded" },
        { ["eval", "{dir}", "--long-side", "0"], 2, "--long-side 0: Long side must be positive" },
        { ["eval", "{dir}", "--long-side", "9000"], 2, "--long-side 9000: Long side above 8192 px is not supported" },
        { ["eval", "{dir}", "--long-side", "512", "--scales", "512,768"], 2, "exclude each other" },
        { ["eval", "{dir}", "--frobnicate"], 2, "Unrecognized command or argument '--frobnicate'" },
        { ["eval", "{dir}", "--propagation", "diffusion"], 2, "Argument 'diffusion' not recognized. Must be one of: 'graph' 'none'" },
        { ["eval", "{dir}", "--propagation", "none", "--graph-k", "5"], 2, "need --propagation graph" },
        { ["eval", "{dir}", "--propagation", "graph", "--graph-alpha", "1"], 2, "--graph-alpha 1: α must be in [0, 0.9999]" },
        { ["eval", "{dir}", "--graph-barrier", "1.5"], 2, "--graph-barrier 1.5: The later-seed barrier must be a fraction of the threshold in [0, 1]" },
        { ["eval", "{dir}", "--propagation", "none", "--graph-barrier", "0"], 2, "--graph-barrier and --graph-negative-weight need --propagation graph" },
        { ["eval", "{dir}", "--graph-negative-weight", "0"], 2, "--graph-negative-weight 0: The negative seeds' weight must be in (0, 1]" },
        { ["eval", "{dir}", "--propagation", "none", "--graph-negative-weight", "1"], 2, "need --propagation graph" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Eval_BadInput_OneLineOnStderrAndExitCode(string[] args, int code, string message)
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var r = CliProcess.Run([.. args.Select(a => a.Replace("{dir}", _dir).Replace("{empty}", empty))]);

        Assert.Equal(code, r.ExitCode);
        Assert.Contains(message, r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Empty(r.StdOut);
    }
}
