using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary>Lists the images of a folder in a stable order and writes masks, for the commands that work on folders.</summary>
internal static class ImageFolder
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp", ".pbm",
    };

    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>The image files directly in <paramref name="directory"/>, sorted by ordinal file name (the same on every machine).</summary>
    public static IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory)) throw new UsageException($"no folder at '{directory}'");
        string[] files = [.. Directory.EnumerateFiles(directory).Where(IsImage).OrderBy(Path.GetFileName, StringComparer.Ordinal)];
        if (files.Length == 0) throw new UsageException($"no images (png, jpg, bmp, gif, tga, tif, webp, pbm) in '{directory}'");
        CheckUniqueStems(files.Select(Path.GetFileName)!);
        return files;
    }

    /// <summary>Outputs are named after the file name without its extension, so two files must not share one.</summary>
    public static void CheckUniqueStems(IEnumerable<string> names)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            string stem = Path.GetFileNameWithoutExtension(name);
            if (seen.TryGetValue(stem, out string? other) && other != name)
            {
                throw new UsageException($"'{other}' and '{name}' would write the same outputs ('{stem}'): rename one");
            }

            seen[stem] = name;
        }
    }

    /// <summary>Writes a 0/255 mask as an 8-bit greyscale PNG, atomically.</summary>
    public static void SaveMask(ReadOnlySpan<byte> mask, int width, int height, string path)
    {
        using Image<L8> image = Image.LoadPixelData<L8>(mask, width, height);
        ViewWriter.SavePng(image, path);
    }
}
