using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg segment</c> with an automatic threshold (the default) and guided refinement, through the real process.</summary>
public sealed class SegmentAutoThresholdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-auto-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out => Path.Combine(_dir, "out");

    [Fact]
    public void Segment_NoThreshold_IsTheStableLadderForOneSeedOnTheRankedMap_AndFindsBothEyes()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--device", "cpu", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("stable-single", doc.RootElement.GetProperty("thresholdRule").GetString());
        Assert.Equal("graph", doc.RootElement.GetProperty("propagation").GetString());
        Assert.InRange(doc.RootElement.GetProperty("threshold").GetDouble(), 0.2, 0.6); // the stable ladder's ends on ranked maps
        Assert.Equal("crf", doc.RootElement.GetProperty("refinement").GetString()); // the library's default refinement
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(255, mask[318, 137].PackedValue);
        Assert.Equal(0, mask[60, 220].PackedValue); // fur
    }

    [Fact]
    public void Segment_GrabCut_WritesTheMaskAndReportsIt()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--refine", "grabcut", "--device", "cpu",
            "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("grabcut", doc.RootElement.GetProperty("refinement").GetString());
        Assert.InRange(doc.RootElement.GetProperty("maskAreaFraction").GetDouble(), 0.001, 0.999);
        Assert.True(File.Exists(Path.Combine(Out, "mask.png")));
    }

    [Fact]
    public void Segment_Crf_WritesTheMaskAndReportsIt()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--refine", "crf", "--device", "cpu",
            "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("crf", doc.RootElement.GetProperty("refinement").GetString());
        Assert.InRange(doc.RootElement.GetProperty("maskAreaFraction").GetDouble(), 0.001, 0.999);
        using var mask = Image.Load<L8>(Path.Combine(Out, "mask.png"));
        Assert.Equal(255, mask[290, 150].PackedValue); // the seed keeps its label
    }

    [Fact]
    public void Segment_AutoWithRule_AndFixedThreshold_ReportWhatTheyUsed()
    {
        var auto = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--threshold", "auto", "--rule", "patch-otsu",
            "--refine", "guided", "--device", "cpu", "--out", Out, "--json");
        var fixedRun = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--threshold", "0.3", "--device", "cpu",
            "--out", Path.Combine(_dir, "fixed"), "--json");

        Assert.True(auto.ExitCode == 0, auto.StdErr);
        Assert.True(fixedRun.ExitCode == 0, fixedRun.StdErr);
        using var a = JsonDocument.Parse(auto.StdOut);
        using var f = JsonDocument.Parse(fixedRun.StdOut);
        Assert.Equal("patch-otsu", a.RootElement.GetProperty("thresholdRule").GetString());
        Assert.Equal("guided", a.RootElement.GetProperty("refinement").GetString());
        Assert.Equal(JsonValueKind.Null, f.RootElement.GetProperty("thresholdRule").ValueKind);
        Assert.Equal(0.3, f.RootElement.GetProperty("threshold").GetDouble(), 6);
    }

    [Fact]
    public void Segment_StableRuleWithGrabCut_UsesALadderThresholdAndSaysSo()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--seed", "290,150", "--rule", "stable", "--refine", "grabcut",
            "--device", "cpu", "--out", Out, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal("stable", doc.RootElement.GetProperty("thresholdRule").GetString());
        double threshold = doc.RootElement.GetProperty("threshold").GetDouble();
        double step = Math.Round((threshold - 0.2) / 0.05); // the ranked ladder: 0.2, 0.25, ..., 0.6 (or the weakest seed's value)
        Assert.True(Math.Abs(threshold - (0.2 + 0.05 * step)) < 1e-5 && step is >= 0 and <= 8, $"threshold {threshold} is not on the ladder");
    }

    [Fact]
    public void Segment_Text_SaysTheThresholdWasAutomatic()
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--threshold", "auto", "--device", "cpu", "--out", Out);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("(auto, stable-single)", r.StdOut);
    }

    [Fact]
    public void Segment_Scales_FusesTwoExtractionsOnTheFinerGrid()
    {
        var one = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--device", "cpu", "--out", Out, "--json");
        var two = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--scales", "384,640", "--device", "cpu",
            "--out", Path.Combine(_dir, "scales"), "--json");

        Assert.True(two.ExitCode == 0, two.StdErr);
        using var a = JsonDocument.Parse(one.StdOut);
        using var b = JsonDocument.Parse(two.StdOut);
        Assert.Equal(0, a.RootElement.GetProperty("scales").GetArrayLength());
        Assert.Equal([384, 640], b.RootElement.GetProperty("scales").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(40, b.RootElement.GetProperty("grid").GetProperty("cols").GetInt32()); // 640 / 16: the finer scale's grid
        Assert.Equal("cpu", b.RootElement.GetProperty("device").GetString());
        using var mask = Image.Load<L8>(Path.Combine(_dir, "scales", "mask.png"));
        Assert.Equal(255, mask[172, 115].PackedValue);
    }

    [Theory]
    [InlineData("512", "--scales: Give at least two long sides")]
    [InlineData("512,9000", "--scales 9000: Long side above 8192 px is not supported")]
    [InlineData("512,0", "--scales 0: Long side must be positive")]
    [InlineData("512,x", "--scales expects comma-separated whole numbers (e.g. 512,768), not '512,x'")]
    public void Segment_BadScales_FailWithOneLine(string scales, string message)
    {
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--scales", scales, "--out", Out);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StdErr);
    }
}
