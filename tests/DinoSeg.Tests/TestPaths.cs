namespace DinoSeg.Tests;

/// <summary>Where test data lands next to the test assembly.</summary>
internal static class TestPaths
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Reference(string name) => Path.Combine(AppContext.BaseDirectory, "References", name);

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "Images", name);
}
