using DinoSeg.Tests.Shared;
using Xunit.Abstractions;

namespace DinoSeg.Cli.Tests;

/// <summary>
/// The crafted files of issue 18 through the real CLI: each must end in a normal exit (the bombs decode their first frame
/// only) with a peak resident set under 700 MiB. A 16-megapixel first frame is the heaviest case: segmenting it (with the
/// default CRF, which keeps the image's colours, 3 bytes a pixel, and its own buffers: about 610 MiB in all, where the
/// unrefined mask peaked under 600) and writing its six full-size views is what the 4096² files cost; decoding all 40
/// frames would take 2.5 GiB.
/// </summary>
public sealed class DecodeBombMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const long PeakLimitBytes = 700L << 20;
    private const long MiB = 1 << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-bombs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Bombs => ["gif40.gif", "tiff40.tif", "tiff1then9000.tif", "ztxt8x64.png", "ztxt1g.png"];

    [Theory]
    [MemberData(nameof(Bombs))]
    public void Segment_DecodeBomb_FinishesNormallyUnder700MiB(string name)
    {
        // Arrange
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, name switch
        {
            "gif40.gif" => HostileFiles.GifManyFrames(4096, 40), // 940 bytes; 40 × 64 MiB if every frame were decoded
            "tiff40.tif" => HostileFiles.TiffPages(Enumerable.Repeat((4096, 4096), 40).ToArray()),
            "tiff1then9000.tif" => HostileFiles.TiffPages((1, 1), (9000, 9000)),
            "ztxt8x64.png" => HostileFiles.PngTextBomb(8, 64 * MiB),
            _ => HostileFiles.PngTextBomb(1, 1L << 30),
        });

        // Act
        ChildProcess.Outcome outcome = CliProcess.RunMeasuringPeakMemory("segment", path, "--seed", "0,0", "--out", Path.Combine(_dir, "out"));

        // Assert
        output.WriteLine($"{name}: exit {outcome.ExitCode}, peak resident set {outcome.PeakResidentBytes / (double)MiB:F0} MiB");
        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.StdErr}");
        Assert.DoesNotContain("   at ", outcome.StdErr);
        Assert.True(File.Exists(Path.Combine(_dir, "out", "mask.png")));
        Assert.InRange(outcome.PeakResidentBytes, 64 * MiB, PeakLimitBytes); // the low end proves the reading worked
    }
}
