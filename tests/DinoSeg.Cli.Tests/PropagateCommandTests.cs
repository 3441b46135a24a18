using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg propagate</c> through the real process, on frames made by panning across a real photo.</summary>
public sealed class PropagateCommandTests : IDisposable
{
    private const int Step = 12, FrameWidth = 400, FrameHeight = 276;
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-propagate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Three frames: windows of chelsea.png moving right and down by <see cref="Step"/> px per frame.</summary>
    private string Frames()
    {
        string frames = Path.Combine(_dir, "frames");
        Directory.CreateDirectory(frames);
        using var photo = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        for (int i = 0; i < 3; i++)
        {
            using Image<Rgb24> frame = photo.Clone(c => c.Crop(new Rectangle(i * Step, i * Step, FrameWidth, FrameHeight)));
            frame.SaveAsPng(Path.Combine(frames, $"frame{i:000}.png"));
        }

        return frames;
    }

    [Fact]
    public void Propagate_PanningFrames_WritesOneMaskPerFrame_FollowingTheEyes()
    {
        string frames = Frames(), output = Path.Combine(_dir, "masks");

        var r = CliProcess.Run("propagate", frames, "--seed", "172,115", "--out", output, "--json");

        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(["frame000.png", "frame001.png", "frame002.png"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(3, doc.RootElement.GetProperty("frames").GetArrayLength());
        for (int i = 0; i < 3; i++)
        {
            using var mask = Image.Load<L8>(Path.Combine(output, $"frame{i:000}.png"));
            Assert.Equal((FrameWidth, FrameHeight), (mask.Width, mask.Height));
            // The clicked eye and the other eye, where the pan has moved them in this frame.
            Assert.Equal(255, mask[172 - i * Step, 115 - i * Step].PackedValue);
            Assert.Equal(255, mask[318 - i * Step, 137 - i * Step].PackedValue);
            Assert.Equal(0, mask[60, 220].PackedValue); // fur
        }
    }

    [Theory]
    [InlineData("Option '--seed' is required", "--out", "OUT")]
    [InlineData("--top-k 0: TopK must be in [1, 64]", "--seed", "1,1", "--top-k", "0", "--out", "OUT")]
    [InlineData("--radius -2: Radius must be 0 or more patches", "--seed", "1,1", "--radius", "-2", "--out", "OUT")]
    [InlineData("--seed 5000,1: The point must lie inside the", "--seed", "5000,1", "--out", "OUT")]
    public void Propagate_BadArguments_ExitTwoWithOneLine(string message, params string[] args)
    {
        string frames = Frames();
        string[] resolved = ["propagate", frames, .. args.Select(a => a == "OUT" ? Path.Combine(_dir, "out") : a)];

        var r = CliProcess.Run(resolved);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StdErr);
        Assert.Single(r.StdErr.TrimEnd().Split('\n'));
    }
}
