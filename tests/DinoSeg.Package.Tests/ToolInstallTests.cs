using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;

namespace DinoSeg.Package.Tests;

/// <summary>The dinoseg tool installed from the folder feed into a tool path of its own (never --global: the machine stays clean).</summary>
[Collection(LocalFeedCollection.Name)]
public sealed class ToolInstallTests(LocalFeed feed)
{
    [Fact]
    public void ToolInstall_FromFolderFeed_GivesAWorkingDinoseg()
    {
        string tools = feed.NewFolder("tools");
        // A tool package has no dependencies: a config with no feeds of its own keeps the install off the network and
        // independent of the machine's user-level NuGet settings; --add-source is what the README tells users.
        string config = Path.Combine(feed.Work, "tool-nuget.config");
        File.WriteAllText(config, "<configuration><packageSources><clear /></packageSources></configuration>");
        ChildProcess.Ok(feed.Work, "dotnet", "tool", "install", "DinoSeg.Cli", "--version", feed.Version, "--tool-path", tools,
            "--configfile", config, "--add-source", feed.Folder);
        string dinoseg = Path.Combine(tools, OperatingSystem.IsWindows() ? "dinoseg.exe" : "dinoseg");

        string help = ChildProcess.Ok(feed.Work, dinoseg, "--help").StdOut;
        Assert.Contains("segment", help);
        Assert.Contains("bench", help);
        foreach (string command in (string[])["segment", "bench"])
        {
            Assert.Contains($"examples:\n  dinoseg {command}", ChildProcess.Ok(feed.Work, dinoseg, command, "--help").StdOut.ReplaceLineEndings("\n"));
        }

        string output = feed.NewFolder("out");
        string image = Path.Combine(feed.Root, "samples", "images", "chelsea.png");
        string report = ChildProcess.Ok(feed.Work, dinoseg, "segment", image, "--seed", "172,115", "--out", output).StdOut;

        Assert.Contains("of the image selected", report);
        var photo = Image.Identify(image);
        foreach (string view in (string[])["mask", "soft-mask", "similarity", "overlay", "cutout", "panel"])
        {
            Assert.Equal("PNG", Image.DetectFormat(Path.Combine(output, view + ".png")).Name);
        }

        var mask = Image.Identify(Path.Combine(output, "mask.png"));
        Assert.Equal((photo.Width, photo.Height), (mask.Width, mask.Height));
    }
}
