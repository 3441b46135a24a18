using System.Globalization;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Package.Tests;

/// <summary>
/// Packs DinoSeg, DinoSeg.Gpu and the DinoSeg.Cli tool once per test run into a temporary folder feed, as the README's
/// install section tells a user to: <c>dotnet pack … -p:Version=0.1.0-local.N</c>, with a version no other run uses, so
/// NuGet's package cache can never hand back an older build. Removes the feed, and the cache entries of that version,
/// afterwards.
/// </summary>
public sealed class LocalFeed : IDisposable
{
    public LocalFeed()
    {
        Root = TestPaths.RepositoryRoot();
        Work = Directory.CreateTempSubdirectory("dinoseg-package-tests-").FullName;
        Folder = Path.Combine(Work, "feed");
        // The README's form, 0.1.0-local.<n>: a timestamp (and this process, for two runs in one second) makes n unique.
        Version = string.Create(CultureInfo.InvariantCulture, $"0.1.0-local.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}");
        try
        {
            // Release builds in artifacts of their own: never racing the solution's Debug build that other tests run from.
            string artifacts = Path.Combine(Root, "artifacts", "package-tests");
            Pack("src/DinoSeg/DinoSeg.csproj", artifacts);
            Pack("src/DinoSeg/DinoSeg.csproj", artifacts, "-p:DinoSegFlavor=Gpu");
            Pack("samples/DinoSeg.Cli/DinoSeg.Cli.csproj", artifacts);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The repository root.</summary>
    public string Root { get; }

    /// <summary>A temporary folder for this run: the feed and everything the tests make.</summary>
    public string Work { get; }

    /// <summary>The local feed folder holding the .nupkg files.</summary>
    public string Folder { get; }

    /// <summary>The version all three packages carry in this run.</summary>
    public string Version { get; }

    /// <summary>NuGet's global package cache on this machine.</summary>
    public static string Cache => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>
    /// The README's nuget.config for an app that installs from the local feed: its ```xml block, with the placeholder folder
    /// replaced by this run's feed.
    /// </summary>
    public string NuGetConfig()
    {
        string config = Readme.Block(Root, "xml", "dinoseg-local");
        Assert.Contains(ReadmeFeedPlaceholder, config);
        return config.Replace(ReadmeFeedPlaceholder, Folder, StringComparison.Ordinal);
    }

    /// <summary>The folder the README's nuget.config snippet names as the local feed.</summary>
    public const string ReadmeFeedPlaceholder = "/path/to/dinoseg-feed";

    /// <summary>A fresh, empty folder under <see cref="Work"/>.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Work, name)).FullName;

    private void Pack(string project, string artifacts, params string[] extra) =>
        ChildProcess.Ok(Root, "dotnet", ["pack", Path.Combine(Root, project), "-c", "Release", "-o", Folder, $"-p:Version={Version}",
            $"-p:ArtifactsPath={artifacts}", "-nodeReuse:false", .. extra]);

    public void Dispose()
    {
        Directory.Delete(Work, recursive: true);
        string cache = Cache;
        foreach (string id in (string[])["dinoseg", "dinoseg.gpu", "dinoseg.cli"])
        {
            string entry = Path.Combine(cache, id, Version);
            if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
            // Leave no empty id folder behind either (only when this run created it: nothing else is in it).
            string folder = Path.Combine(cache, id);
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
    }
}

/// <summary>All package tests share one feed and run one after another (each starts builds of its own).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LocalFeedCollection : ICollectionFixture<LocalFeed>
{
    public const string Name = "local feed";
}
