using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli;

/// <summary>Lists the images of a folder in a stable order and writes masks, for the commands that work on folders.</summary>
internal static class ImageFolder
{
    public static bool IsImage(string path) => ImageDecoder.HasImageExtension(path);

    /// <summary>The image files directly in <paramref name="directory"/>, sorted by ordinal file name (the same on every machine).</summary>
    public static IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory)) throw new UsageException($"no folder at '{directory}'");
        // Hidden files (dot-first, e.g. macOS "._IMG.jpg" forks) are not images of the folder, and could not name outputs.
        string[] files = [.. Directory.EnumerateFiles(directory).Where(f => IsImage(f) && !Path.GetFileName(f).StartsWith('.'))
            .OrderBy(Path.GetFileName, StringComparer.Ordinal)];
        if (files.Length == 0) throw new UsageException($"no images ({string.Join(", ", ImageDecoder.FileExtensions)}) in '{directory}'");
        CheckUniqueStems(files.Select(Path.GetFileName)!);
        return files;
    }

    /// <summary>
    /// The one rule for every output name derived from an input file (batch folders, propagate masks): the file name
    /// without its extension, which must be one ordinary path component. Empty, <c>.</c>, <c>..</c> (<c>...png</c> has the
    /// stem <c>..</c>), hidden (dot-first, like the temporary files a clean-up deletes) and names with separators or control
    /// characters are refused, so no output can land outside <c>--out</c> or among its hidden files.
    /// </summary>
    /// <exception cref="UsageException">The stem is not a safe output name.</exception>
    public static string OutputStem(string name)
    {
        string stem = Path.GetFileNameWithoutExtension(name);
        if (stem.Length == 0 || stem[0] == '.' || stem.Any(c => char.IsControl(c) || c is '/' or '\\' or ':') || stem.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new UsageException($"'{Printable(name)}' would write its outputs under '{Printable(stem)}', which is not a safe folder or file name (empty, hidden, '.' or '..', or with separators): rename the file");
        }

        return stem;
    }

    /// <summary>A name with control characters (terminal escapes) shown as \uXXXX, for messages.</summary>
    public static string Printable(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : text;

    /// <summary>Outputs are named after the file name without its extension (<see cref="OutputStem"/>), so two files must not share one.</summary>
    public static void CheckUniqueStems(IEnumerable<string> names)
    {
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            string stem = OutputStem(name);
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
