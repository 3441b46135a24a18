using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace DinoSeg.Package.Tests;

/// <summary>
/// What a new user does: a fresh console app outside the repository, the package added from a folder feed (everything
/// else from the configured NuGet feed), the README's quickstart pasted as Program.cs, run on a real photo.
/// </summary>
[Collection(LocalFeedCollection.Name)]
public sealed class NewUserTests(LocalFeed feed, ITestOutputHelper log)
{
    // The quickstart keeps its own output; this line is added after it so the test sees which runtime did the work.
    private const string DeviceLine = """

        var extractor = (OnnxFeatureExtractor)dino.Extractor;
        Console.WriteLine($"device: {extractor.Device} ({extractor.DeviceReason})");
        """;

    [Fact]
    public void Quickstart_WithDinoSegPackage_WritesTheMaskOnTheCpuSayingItIsTheCpuPackage()
    {
        string output = RunQuickstart("DinoSeg", "cpu-app");

        // The CPU package runs on the CPU by design: the reason says so, not "fell back".
        Assert.Contains("device: Cpu (CPU package: no CUDA provider", output);
    }

    [Fact]
    public void Quickstart_WithDinoSegGpuPackageAndNoGpu_FallsBackToTheCpuSayingWhy()
    {
        string output = RunQuickstart("DinoSeg.Gpu", "gpu-app");

        // The CUDA build is installed, so the reason is its provider failing to load here (no driver, CUDA or cuDNN).
        Assert.Contains("device: Cpu (fell back to CPU: the CUDA provider could not load:", output);
    }

    private string RunQuickstart(string packageId, string name)
    {
        string app = feed.NewFolder(name);
        ChildProcess.Ok(app, "dotnet", "new", "console", "--name", "NewUser", "--output", app);
        // The README's steps: its nuget.config next to the app, then 'dotnet add package' with the local version.
        File.WriteAllText(Path.Combine(app, "nuget.config"), feed.NuGetConfig());
        ChildProcess.Ok(app, "dotnet", "add", Path.Combine(app, "NewUser.csproj"), "package", packageId, "--version", feed.Version);

        string program = Readme.Quickstart(feed.Root);
        Assert.Contains("\"photo.jpg\"", program);
        File.WriteAllText(Path.Combine(app, "Program.cs"), program + DeviceLine);
        File.Copy(Path.Combine(feed.Root, "samples", "images", "rocket.jpg"), Path.Combine(app, "photo.jpg"));

        string output = ChildProcess.Ok(app, "dotnet", "run", "--project", Path.Combine(app, "NewUser.csproj")).Output;

        log.WriteLine(output);
        Assert.Contains("of the image selected", output);
        string maskPath = Path.Combine(app, "mask.png");
        Assert.Equal("PNG", Image.DetectFormat(maskPath).Name);
        using var mask = Image.Load<L8>(maskPath);
        Assert.Equal((640, 427), (mask.Width, mask.Height));
        int selected = 0;
        mask.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (L8 pixel in rows.GetRowSpan(y)) selected += pixel.PackedValue == 255 ? 1 : 0;
            }
        });
        Assert.InRange(selected, 1, mask.Width * mask.Height - 1);
        return output;
    }
}
