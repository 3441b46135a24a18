using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

/// <summary>
/// Golden-image comparison against PNGs committed in <c>tests/DinoSeg.Tests/Rendering/Golden/</c>, found from the source
/// tree (not copied to the output). Set <c>DINOSEG_UPDATE_GOLDEN=1</c> to rewrite them: the test then fails on purpose, so
/// an update can never pass silently.
/// </summary>
internal static class Golden
{
    public const string UpdateVariable = "DINOSEG_UPDATE_GOLDEN";

    /// <summary>Largest mean absolute difference allowed in any one channel.</summary>
    public const double MaxMeanDifference = 1.0;

    /// <summary>Largest absolute difference allowed in any channel of any pixel.</summary>
    public const int MaxPixelDifference = 8;

    public static string Directory => Path.Combine(TestPaths.RepositoryRoot(), "tests", "DinoSeg.Tests", "Rendering", "Golden");

    public static void AssertMatches(Image<Rgb24> actual, string name)
    {
        string path = Path.Combine(Directory, name);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            actual.SaveAsPng(path);
            Assert.Fail($"Golden image {path} was rewritten because {UpdateVariable}=1; review it, then rerun without the variable.");
        }

        if (!File.Exists(path))
        {
            Assert.Fail($"Golden image {path} is missing; run the tests once with {UpdateVariable}=1 to create it, then review it.");
        }

        using var expected = Image.Load<Rgb24>(path);
        var (means, max) = Compare(expected, actual);
        if (means is null || means.Max() >= MaxMeanDifference || max > MaxPixelDifference)
        {
            string saved = SaveActual(actual, name);
            string detail = means is null
                ? $"size {actual.Width}x{actual.Height} differs from the golden {expected.Width}x{expected.Height}"
                : $"mean |diff| per channel R {means[0]:F3}, G {means[1]:F3}, B {means[2]:F3} (limit < {MaxMeanDifference}), max {max} (limit ≤ {MaxPixelDifference})";
            Assert.Fail($"{name}: {detail}. Actual image saved to {saved}; if the change is intended, rerun with {UpdateVariable}=1.");
        }
    }

    /// <summary>Per-channel mean absolute difference and the largest difference; null means when the sizes differ.</summary>
    public static (double[]? Means, int Max) Compare(Image<Rgb24> expected, Image<Rgb24> actual)
    {
        if (expected.Width != actual.Width || expected.Height != actual.Height) return (null, int.MaxValue);
        long r = 0, g = 0, b = 0;
        int max = 0;
        for (int y = 0; y < expected.Height; y++)
        {
            Span<Rgb24> e = expected.DangerousGetPixelRowMemory(y).Span;
            Span<Rgb24> a = actual.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < e.Length; x++)
            {
                int dr = Math.Abs(e[x].R - a[x].R), dg = Math.Abs(e[x].G - a[x].G), db = Math.Abs(e[x].B - a[x].B);
                r += dr;
                g += dg;
                b += db;
                max = Math.Max(max, Math.Max(dr, Math.Max(dg, db)));
            }
        }

        double n = (double)expected.Width * expected.Height;
        return ([r / n, g / n, b / n], max);
    }

    private static string SaveActual(Image<Rgb24> actual, string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "dinoseg-golden-actual");
        System.IO.Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name);
        actual.SaveAsPng(path);
        return path;
    }
}
