using System.Text.Json;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg features</c> and <c>segment --features</c> through the real process.</summary>
public sealed class FeaturesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-features-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Features_ThenSegmentWithFeatures_WritesTheSameMaskAsSegmentAlone()
    {
        string file = Path.Combine(_dir, "chelsea.dsf");

        var saved = CliProcess.Run("features", TestPaths.Image("chelsea.png"), "--out", file, "--json");
        var withFile = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--features", file, "--seed", "172,115", "--out", Path.Combine(_dir, "a"), "--json");
        var direct = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--out", Path.Combine(_dir, "b"));

        Assert.True(saved.ExitCode == 0, saved.StdErr);
        Assert.True(withFile.ExitCode == 0, withFile.StdErr);
        Assert.True(direct.ExitCode == 0, direct.StdErr);
        using var doc = JsonDocument.Parse(saved.StdOut);
        Assert.Equal("resnet18-s16", doc.RootElement.GetProperty("backbone").GetString());
        Assert.Equal(896, doc.RootElement.GetProperty("dim").GetInt32()); // layers 2, 3 and 4 fused: 128 + 256 + 512
        Assert.Equal(new FileInfo(file).Length, doc.RootElement.GetProperty("bytes").GetInt64());
        using var segmented = JsonDocument.Parse(withFile.StdOut);
        Assert.Equal("none", segmented.RootElement.GetProperty("device").GetString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "b", "mask.png")), File.ReadAllBytes(Path.Combine(_dir, "a", "mask.png")));
    }

    [Fact]
    public void SegmentWithFeatures_OfAnotherImage_ExitsSixNamingBothSizes()
    {
        string file = Path.Combine(_dir, "chelsea.dsf");
        Assert.Equal(0, CliProcess.Run("features", TestPaths.Image("chelsea.png"), "--out", file).ExitCode);

        var r = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--features", file, "--seed", "10,10", "--out", Path.Combine(_dir, "o"));

        Assert.Equal(6, r.ExitCode);
        Assert.Equal("dinoseg: error: expected features of a 600x400 image; found 451x300 in chelsea.dsf. Fix: pass the feature file made from this image, or extract it again",
            r.StdErr.TrimEnd());
        Assert.False(Directory.Exists(Path.Combine(_dir, "o")));
    }

    [Fact]
    public void SegmentWithFeatures_CorruptFile_ExitsSix()
    {
        string file = Path.Combine(_dir, "bad.dsf");
        File.WriteAllBytes(file, [0x89, (byte)'D', (byte)'S', (byte)'F', 1, 2, 3]);

        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--features", file, "--seed", "10,10", "--out", Path.Combine(_dir, "o"));

        Assert.Equal(6, r.ExitCode);
        Assert.Contains("cut short", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData(2, "Option '--out' is required", "features", "IMAGE")]
    [InlineData(2, "Required argument 'IMAGE' missing for command: 'features'", "features", "--out", "x.dsf")]
    [InlineData(2, "Unrecognized command or argument '--bogus'", "features", "IMAGE", "--out", "x.dsf", "--bogus")]
    [InlineData(2, "--backbone dinov3 needs --model", "features", "IMAGE", "--out", "x.dsf", "--backbone", "dinov3")]
    public void Features_BadArguments_ExitTwoWithOneLine(int code, string message, params string[] args)
    {
        string[] resolved = [.. args.Select(a => a == "IMAGE" ? TestPaths.Image("chelsea.png") : a)];

        var r = CliProcess.Run(resolved);

        Assert.Equal(code, r.ExitCode);
        Assert.Contains(message, r.StdErr);
        Assert.Single(r.StdErr.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("features", "dinoseg features <IMAGE> [options]")]
    [InlineData("propagate", "dinoseg propagate <FRAMES_DIR> [options]")]
    [InlineData("batch", "dinoseg batch <IMAGES_DIR> [options]")]
    [InlineData("segment", "dinoseg segment <IMAGE> [options]")]
    [InlineData("bench", "dinoseg bench [options]")]
    [InlineData("eval", "dinoseg eval <DIR> [options]")]
    public void Help_ShowsUsageAndExamples(string command, string usage)
    {
        var r = CliProcess.Run(command, "--help");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains(usage, r.StdOut);
        Assert.Contains("examples:", r.StdOut);
        Assert.Contains($"\n  dinoseg {command} ", r.StdOut[r.StdOut.IndexOf("examples:", StringComparison.Ordinal)..]);
        Assert.Contains(command, CliProcess.Run("--help").StdOut);
    }
}
