namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg segment</c> never leaves a half-written or mixed output folder behind when a write fails.</summary>
public sealed class OutputSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-safety-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Segment_OutputBlockedPartWay_ExitsWithOneLineAndKeepsTheOldFiles()
    {
        // Arrange: a previous run's mask, and a directory where panel.png must go (the last file written).
        string output = Path.Combine(_dir, "out");
        Directory.CreateDirectory(Path.Combine(output, "panel.png"));
        byte[] oldMask = [1, 2, 3, 4];
        File.WriteAllBytes(Path.Combine(output, "mask.png"), oldMask);

        // Act
        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--out", output);

        // Assert
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("dinoseg: error: cannot write output:", r.StdErr.Trim());
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Equal(oldMask, File.ReadAllBytes(Path.Combine(output, "mask.png")));
        Assert.Equal(["mask.png"], Directory.GetFiles(output).Select(Path.GetFileName)); // no new views, no *.tmp
    }

    [Fact]
    public void Segment_OutIsAFile_ExitsWithOneLineAndLeavesTheFile()
    {
        string output = Path.Combine(_dir, "taken");
        File.WriteAllText(output, "keep me");

        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--out", output);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("dinoseg: error: cannot write output:", r.StdErr.Trim());
        Assert.Equal("keep me", File.ReadAllText(output));
        Assert.Equal(["taken"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Segment_TemporariesLeftByAKilledRun_AreRemovedAndOtherFilesKept()
    {
        // A run killed between encoding and renaming leaves hidden ".VIEW.GUID.tmp" files (up to six per kill).
        string output = Path.Combine(_dir, "out");
        Directory.CreateDirectory(output);
        string[] stale = [.. new[] { "mask.png", "panel.png", "soft-mask.png" }.Select(v => Path.Combine(output, $".{v}.{Guid.NewGuid():N}.tmp"))];
        foreach (string path in stale) File.WriteAllText(path, "left by a kill");
        string foreign = Path.Combine(output, ".notes.txt.tmp");
        File.WriteAllText(foreign, "not ours");

        var r = CliProcess.Run("segment", TestPaths.Image("chelsea.png"), "--seed", "172,115", "--out", output);

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.All(stale, path => Assert.False(File.Exists(path), path));
        Assert.True(File.Exists(foreign));
        Assert.Equal(7, Directory.GetFiles(output).Length); // six views and the foreign file
    }
}
