using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using Xunit.Abstractions;

namespace DinoSeg.Package.Tests;

/// <summary>
/// A new user who decodes with SkiaSharp: a fresh console app with the DinoSeg package and SkiaSharp only, the README's
/// SkiaSharp example pasted as Program.cs. It must build and run with no ImageSharp type in the app's code or project.
/// </summary>
[Collection(LocalFeedCollection.Name)]
public sealed class RawPixelsAppTests(LocalFeed feed, ITestOutputHelper log)
{
    private const string SkiaSharpVersion = "3.119.0";

    [Fact]
    public void ReadmeSkiaSharpExample_InAFreshApp_SegmentsRawBgraPixelsWithNoImageSharpType()
    {
        string app = feed.NewFolder("skiasharp-app");
        ChildProcess.Ok(app, "dotnet", "new", "console", "--name", "SkiaUser", "--output", app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), feed.NuGetConfig());
        string project = Path.Combine(app, "SkiaUser.csproj");
        ChildProcess.Ok(app, "dotnet", "add", project, "package", "DinoSeg", "--version", feed.Version);
        ChildProcess.Ok(app, "dotnet", "add", project, "package", "SkiaSharp", "--version", SkiaSharpVersion);
        if (OperatingSystem.IsLinux())
        {
            // SkiaSharp's native library for Linux servers (the README says so beside the example).
            ChildProcess.Ok(app, "dotnet", "add", project, "package", "SkiaSharp.NativeAssets.Linux.NoDependencies", "--version", SkiaSharpVersion);
        }

        string program = Readme.Block(feed.Root, "csharp", "SKBitmap");
        Assert.DoesNotContain("SixLabors", program);
        Assert.DoesNotContain("ImageSharp", File.ReadAllText(project));
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);
        File.Copy(Path.Combine(feed.Root, "samples", "images", "rocket.jpg"), Path.Combine(app, "photo.jpg"));

        string output = ChildProcess.Ok(app, "dotnet", "run", "--project", project).Output;

        log.WriteLine(output);
        Assert.Contains("of the image selected", output);
        string overlay = Path.Combine(app, "overlay.png");
        Assert.Equal("PNG", Image.DetectFormat(overlay).Name);
        var info = Image.Identify(overlay);
        Assert.Equal((640, 427), (info.Width, info.Height));
    }
}
