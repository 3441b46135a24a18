namespace DinoSeg.Tests.Shared;

/// <summary>Where test data lands next to the test assembly (each test project copies what it needs: Images, Fixtures, References).</summary>
internal static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Reference(string name) => Path.Combine(AppContext.BaseDirectory, "References", name);

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);

    /// <summary>The folder holding DinoSeg.sln, found upwards from the test assembly: for files the tests read from the source tree.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DinoSeg.sln"))) return dir.FullName;
        }

        throw new DirectoryNotFoundException($"No DinoSeg.sln above {AppContext.BaseDirectory}.");
    }
}
