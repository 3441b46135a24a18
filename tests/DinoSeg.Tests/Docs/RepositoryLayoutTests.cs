using System.Text.RegularExpressions;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Tests.Docs;

/// <summary>One solution file in the classic format that every tool opens, listing every project; docs free of one machine's paths.</summary>
public sealed class RepositoryLayoutTests
{
    private static readonly string Root = TestPaths.RepositoryRoot();

    [Fact]
    public void Solution_IsOneClassicDinoSegSlnListingEveryProject()
    {
        string sln = File.ReadAllText(Path.Combine(Root, "DinoSeg.sln"));

        Assert.StartsWith("Microsoft Visual Studio Solution File, Format Version 12.00", sln.TrimStart('\uFEFF', '\r', '\n'), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Root, "*.slnx"));
        Assert.Equal(["DinoSeg.sln"], Directory.GetFiles(Root, "*.sln").Select(Path.GetFileName));
        foreach (string folder in (string[])["src", "samples", "tests", "benchmarks", "tools"])
        {
            foreach (string project in Directory.GetFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(Root, project).Replace('/', '\\');
                Assert.True(sln.Contains($"\"{relative}\"", StringComparison.Ordinal), $"DinoSeg.sln does not list {relative}");
            }
        }
    }

    [Fact]
    public void ReadmeAndCi_RunTheSolutionsTests()
    {
        Assert.Contains("dotnet test DinoSeg.sln\n", File.ReadAllText(Path.Combine(Root, "README.md")).ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Contains("dotnet test DinoSeg.sln\n", File.ReadAllText(Path.Combine(Root, ".ci", "run")).ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void ModelsDoc_NamesNoPathOfADevelopmentMachine()
    {
        string doc = File.ReadAllText(Path.Combine(Root, "docs", "models.md"));

        Assert.Empty(Regex.Matches(doc, "(?<![\\w.$])/(tmp|work|home|root|usr)/").Select(m => m.Value));
    }
}
