using System.IO.Compression;
using System.Text;
using DinoSeg.Tests.Shared;
using Xunit.Abstractions;

namespace DinoSeg.Package.Tests;

/// <summary>
/// DinoSeg is built against ImageSharp 2 and depends on [2.1.13, 3): an app that ends up with ImageSharp 3 must be stopped
/// at restore or build time with a message saying why and what to do, never left to fail at run time with a
/// TypeLoadException. The feed serves no ImageSharp 3, so the test packs a stand-in: an assembly named
/// SixLabors.ImageSharp, version 3.0.0, in a package of that id and version, in a folder feed of its own (and a package
/// cache of its own, so the stand-in never reaches the machine's cache).
/// </summary>
[Collection(LocalFeedCollection.Name)]
public sealed class ImageSharpConflictTests(LocalFeed feed, ITestOutputHelper log)
{
    [Fact]
    public void App_ReferencingImageSharp3_StopsAfterRestoreNamingTheRangeAndTheFix()
    {
        string fakes = StandInFeed();
        string app = App("direct-imagesharp3", fakes, ("DinoSeg", feed.Version), ("SixLabors.ImageSharp", "3.0.0"));

        ChildProcess.Outcome restore = ChildProcess.Run(app, "dotnet", "restore");
        ChildProcess.Outcome build = ChildProcess.Run(app, "dotnet", "build", "--no-restore");

        log.WriteLine(restore.Output);
        log.WriteLine(build.Output);
        // NuGet lets a direct reference win over a package's range, with a warning naming the range.
        Assert.Contains("NU1608", restore.Output);
        Assert.Contains("DinoSeg " + feed.Version + " requires SixLabors.ImageSharp (>= 2.1.13 && < 3.0.0)", restore.Output);
        // DinoSeg's buildTransitive check turns it into an error before anything is compiled.
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error DINOSEG001: DinoSeg needs SixLabors.ImageSharp 2.x (its dependency is [2.1.13, 3)), but this project resolved SixLabors.ImageSharp 3.0.0", build.Output);
        Assert.Contains("Fix: reference SixLabors.ImageSharp 2.1.13 or a later 2.x", build.Output);
        Assert.DoesNotContain("error CS", build.Output);
        Assert.Empty(Directory.GetFiles(app, "Conflict.dll", SearchOption.AllDirectories));
    }

    [Fact]
    public void App_WithAnotherPackageNeedingImageSharp3_FailsAtRestoreWithNuGetsConflictError()
    {
        string fakes = StandInFeed();
        WriteNuspecOnlyPackage(fakes, "Contoso.Imaging", "1.0.0", ("SixLabors.ImageSharp", "3.0.0"));
        string app = App("transitive-imagesharp3", fakes, ("DinoSeg", feed.Version), ("Contoso.Imaging", "1.0.0"));

        ChildProcess.Outcome restore = ChildProcess.Run(app, "dotnet", "restore");

        log.WriteLine(restore.Output);
        Assert.NotEqual(0, restore.ExitCode);
        Assert.Contains("error NU1107: Version conflict detected for SixLabors.ImageSharp", restore.Output);
        Assert.Contains("DinoSeg " + feed.Version + " -> SixLabors.ImageSharp (>= 2.1.13 && < 3.0.0)", restore.Output);
    }

    /// <summary>A folder feed with the stand-in SixLabors.ImageSharp 3.0.0 (made once per run).</summary>
    private string StandInFeed()
    {
        string fakes = Path.Combine(feed.Work, "imagesharp3-feed");
        if (File.Exists(Path.Combine(fakes, "SixLabors.ImageSharp.3.0.0.nupkg"))) return fakes;
        string project = feed.NewFolder("imagesharp3-standin");
        File.WriteAllText(Path.Combine(project, "StandIn.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>SixLabors.ImageSharp</AssemblyName>
                <PackageId>SixLabors.ImageSharp</PackageId>
                <Version>3.0.0</Version>
                <Description>A test stand-in for ImageSharp 3 (not served here): has none of ImageSharp 2's types.</Description>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Image.cs"), "namespace SixLabors.ImageSharp; public sealed class Image3StandIn { }\n");
        WriteConfig(project, fakes);
        ChildProcess.Ok(project, "dotnet", "pack", "-c", "Release", "-o", fakes, $"-p:RestorePackagesPath={Packages}");
        return fakes;
    }

    /// <summary>A console app referencing <paramref name="packages"/>, with the README's nuget.config plus the stand-in feed.</summary>
    private string App(string name, string fakes, params (string Id, string Version)[] packages)
    {
        string app = feed.NewFolder(name);
        var references = new StringBuilder();
        foreach ((string id, string version) in packages) references.Append($"    <PackageReference Include=\"{id}\" Version=\"{version}\" />\n");
        File.WriteAllText(Path.Combine(app, "Conflict.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RestorePackagesPath>{Packages}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{LocalFeed.Cache}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), "System.Console.WriteLine(typeof(DinoSeg.DecodedImage));\n");
        WriteConfig(app, fakes);
        return app;
    }

    // The stand-ins are extracted here, never into the machine's package cache (which is only read, as a fallback folder).
    private string Packages => Path.Combine(feed.Work, "conflict-packages");

    private void WriteConfig(string folder, string fakes)
    {
        Directory.CreateDirectory(fakes);
        string config = feed.NuGetConfig().Replace("</packageSources>", $"  <add key=\"stand-ins\" value=\"{fakes}\" />\n  </packageSources>", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "nuget.config"), config);
    }

    /// <summary>A package of metadata only (no assemblies), as a library that merely depends on others would be.</summary>
    private static void WriteNuspecOnlyPackage(string folder, string id, string version, params (string Id, string Version)[] dependencies)
    {
        string path = Path.Combine(folder, $"{id}.{version}.nupkg");
        if (File.Exists(path)) return;
        var deps = new StringBuilder();
        foreach ((string dependency, string range) in dependencies) deps.Append($"<dependency id=\"{dependency}\" version=\"{range}\" />");
        using ZipArchive zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var writer = new StreamWriter(zip.CreateEntry($"{id}.nuspec").Open()))
        {
            writer.Write($"""
                <?xml version="1.0" encoding="utf-8"?>
                <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
                  <metadata>
                    <id>{id}</id><version>{version}</version><authors>test</authors><description>Test package.</description>
                    <dependencies><group targetFramework="net10.0">{deps}</group></dependencies>
                  </metadata>
                </package>
                """);
        }
    }
}
