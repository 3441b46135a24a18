using System.Text.RegularExpressions;

namespace DinoSeg.Tests.Shared;

/// <summary>The repository's README as the tests read it: its quickstart is code that must run as written.</summary>
internal static partial class Readme
{
    /// <summary>The README's first <c>```csharp</c> block: a complete Program.cs that segments "photo.jpg" into "mask.png".</summary>
    public static string Quickstart(string repositoryRoot)
    {
        string readme = File.ReadAllText(Path.Combine(repositoryRoot, "README.md"));
        Match block = CSharpBlockPattern().Match(readme);
        if (!block.Success) throw new InvalidOperationException("README.md has no ```csharp block.");
        return block.Groups[1].Value;
    }

    /// <summary>The README's first <c>```language</c> block that contains <paramref name="marker"/>.</summary>
    public static string Block(string repositoryRoot, string language, string marker)
    {
        string readme = File.ReadAllText(Path.Combine(repositoryRoot, "README.md"));
        foreach (Match block in Regex.Matches(readme, $"```{Regex.Escape(language)}\\n(.*?)```", RegexOptions.Singleline))
        {
            if (block.Groups[1].Value.Contains(marker, StringComparison.Ordinal)) return block.Groups[1].Value;
        }

        throw new InvalidOperationException($"README.md has no ```{language} block containing '{marker}'.");
    }

    /// <summary>Every <c>```csharp</c> block of the README, in order.</summary>
    public static IReadOnlyList<string> CSharpBlocks(string repositoryRoot) =>
        [.. CSharpBlockPattern().Matches(File.ReadAllText(Path.Combine(repositoryRoot, "README.md"))).Select(m => m.Groups[1].Value)];

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlockPattern();
}
