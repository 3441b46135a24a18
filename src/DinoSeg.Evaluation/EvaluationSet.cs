using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Evaluation;

/// <summary>One image and its ground-truth mask (<c>NAME.png|jpg</c> and <c>NAME.mask.png</c>).</summary>
/// <param name="Name">The file name without extension.</param>
/// <param name="ImagePath">The photo.</param>
/// <param name="MaskPath">The mask: 8-bit, same size, above 127 = object.</param>
/// <remarks>An immutable record; thread-safe.</remarks>
public sealed record EvaluationItem(string Name, string ImagePath, string MaskPath)
{
    /// <summary>The group the item belongs to: the subfolder it was found in (e.g. "photos"), or "" at the top of the set.</summary>
    public string Group { get; init; } = "";

    /// <summary>Decodes the mask as bytes (255 = object, 0 = background), checking it matches the image size.</summary>
    /// <exception cref="DinoSegImageException">The mask is unreadable, of another size, or empty.</exception>
    public byte[] LoadMask(int width, int height)
    {
        using Image<L8> mask = Image.Load<L8>(MaskPath);
        if (mask.Width != width || mask.Height != height)
        {
            throw new DinoSegImageException($"a {width}x{height} mask for {Path.GetFileName(ImagePath)}",
                $"{Path.GetFileName(MaskPath)} of {mask.Width}x{mask.Height}", "regenerate the mask at the image's size");
        }

        var bytes = new byte[width * height];
        mask.CopyPixelDataTo(bytes);
        int selected = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = bytes[i] > 127 ? (byte)255 : (byte)0;
            selected += bytes[i] != 0 ? 1 : 0;
        }

        if (selected == 0) throw new DinoSegImageException("a mask that selects something", $"an empty {Path.GetFileName(MaskPath)}", "mark the object with values above 127");
        return bytes;
    }
}

/// <summary>
/// Finds the image + mask pairs of an evaluation folder: those at its top, and those of each subfolder, which form a group
/// (<see cref="EvaluationItem.Group"/>: samples/evalset has "photos" and "composites").
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class EvaluationSet
{
    /// <summary>Mask files end with this.</summary>
    public const string MaskSuffix = ".mask.png";

    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// Every <c>NAME.mask.png</c> with its <c>NAME.png</c>, <c>NAME.jpg</c> or <c>NAME.jpeg</c>: the folder's own pairs
    /// first, then each subfolder's (one level down) as a group; ordered by group, then name.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="DinoSegImageException">A mask has no image, or the folder and its subfolders hold no pairs.</exception>
    public static IReadOnlyList<EvaluationItem> Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"No folder at '{directory}'.");
        var items = new List<EvaluationItem>(Pairs(directory, ""));
        foreach (string sub in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            items.AddRange(Pairs(sub, Path.GetFileName(sub)));
        }

        if (items.Count == 0)
        {
            throw new DinoSegImageException($"image + mask pairs (NAME.png and NAME{MaskSuffix}) in {directory} or its subfolders", "none",
                "point at a folder such as samples/evalset");
        }

        return items;
    }

    private static IEnumerable<EvaluationItem> Pairs(string directory, string group)
    {
        foreach (string mask in Directory.GetFiles(directory, "*" + MaskSuffix).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(mask)[..^MaskSuffix.Length];
            string? image = ImageExtensions.Select(e => Path.Combine(directory, name + e)).FirstOrDefault(File.Exists)
                ?? throw new DinoSegImageException($"an image {name}.png or {name}.jpg next to {Path.GetFileName(mask)}", "none", "add the photo or remove the mask");
            yield return new EvaluationItem(name, image, mask) { Group = group };
        }
    }
}
