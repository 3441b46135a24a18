using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Rendering;

/// <summary>
/// Writes the views of a segmentation as PNG files. Every file is written to a temporary file in the same directory and
/// then renamed into place, so a reader never sees a partial file and a failed write leaves nothing behind.
/// </summary>
/// <remarks>
/// Stateless and thread-safe for distinct destination files. Temporary files are named <c>.NAME.GUID.tmp</c> beside the
/// destination (same directory, so the rename never crosses file systems).
/// </remarks>
public static partial class ViewWriter
{
    /// <summary>The binary mask, 8-bit greyscale 0/255.</summary>
    public const string MaskFile = "mask.png";

    /// <summary>The soft mask, 8-bit greyscale.</summary>
    public const string SoftMaskFile = "soft-mask.png";

    /// <summary>The similarity heatmap with its colour bar, 8-bit RGB.</summary>
    public const string SimilarityFile = "similarity.png";

    /// <summary>The overlay with the seeds, 8-bit RGB.</summary>
    public const string OverlayFile = "overlay.png";

    /// <summary>The cut-out, 8-bit RGBA.</summary>
    public const string CutoutFile = "cutout.png";

    /// <summary>All views side by side, 8-bit RGB.</summary>
    public const string PanelFile = "panel.png";

    /// <summary>The names of the files <see cref="SaveAll(Image{Rgb24}, SegmentationResult, string)"/> writes, in the order it writes them.</summary>
    public static IReadOnlyList<string> FileNames { get; } = [MaskFile, SoftMaskFile, SimilarityFile, OverlayFile, CutoutFile, PanelFile];

    /// <summary>
    /// Renders every view and writes it into <paramref name="directory"/> (created if missing) under the names in
    /// <see cref="FileNames"/>, replacing files of the same name. All views are rendered and encoded into temporary files
    /// first and renamed into place only when every one succeeded: a failure while rendering or writing (disk full, a renderer
    /// error) leaves every previous file untouched and no temporary file behind.
    /// </summary>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="directory">Where to write the files.</param>
    /// <returns>The full paths written, in the order of <see cref="FileNames"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="image"/> is not the size of <paramref name="result"/>, or <paramref name="directory"/> is empty.</exception>
    /// <exception cref="IOException">A directory stands where a view file should go (checked before anything is written), or the write failed.</exception>
    public static IReadOnlyList<string> SaveAll(Image<Rgb24> image, SegmentationResult result, string directory) =>
        SaveAll(image, result, directory, beforeRender: null);

    /// <summary><see cref="SaveAll(Image{Rgb24}, SegmentationResult, string)"/> with a hook called before each view is rendered (tests inject failures there).</summary>
    internal static IReadOnlyList<string> SaveAll(Image<Rgb24> image, SegmentationResult result, string directory, Action<string>? beforeRender)
    {
        Renderer.Validate(image, result);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        string[] targets = [.. FileNames.Select(name => Path.Combine(root, name))];
        foreach (string target in targets)
        {
            if (Directory.Exists(target)) throw new IOException($"Cannot write '{target}': a directory of that name is in the way.");
        }

        var temps = new List<string>(targets.Length);
        try
        {
            for (int i = 0; i < targets.Length; i++)
            {
                beforeRender?.Invoke(FileNames[i]);
                using Image view = Renderer.Render((SegmentationView)i, image, result);
                temps.Add(AtomicFile.WriteTemporary(targets[i], stream => view.Save(stream, EncoderFor(view))));
            }

            // Only renames are left: each is atomic, and they cannot fail for want of space.
            for (int i = 0; i < targets.Length; i++) File.Move(temps[i], targets[i], overwrite: true);
        }
        catch
        {
            foreach (string temp in temps) AtomicFile.TryDelete(temp);
            throw;
        }

        return targets;
    }

    /// <summary>The file name of <paramref name="view"/> in <see cref="FileNames"/>: "mask.png", "soft-mask.png", ….</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="view"/> is not a defined view.</exception>
    public static string FileName(SegmentationView view) => Enum.IsDefined(view)
        ? FileNames[(int)view]
        : throw new ArgumentOutOfRangeException(nameof(view), view, "Unknown view.");

    /// <summary>
    /// The view whose file name is <paramref name="name"/>, with or without its ".png" ("soft-mask" or "soft-mask.png"),
    /// matched exactly as file names and URLs are; false for anything else.
    /// </summary>
    public static bool TryParseView(string? name, out SegmentationView view)
    {
        for (int i = 0; i < FileNames.Count; i++)
        {
            string file = FileNames[i];
            if (name == file || name == file[..^".png".Length])
            {
                view = (SegmentationView)i;
                return true;
            }
        }

        view = default;
        return false;
    }

    /// <summary>
    /// Writes <paramref name="image"/> as a PNG at <paramref name="path"/>, atomically: encodes into a temporary file
    /// beside it, then renames it over any existing file. On failure the temporary file is deleted and the old file, if any,
    /// is untouched. The directory is created if missing. 8-bit greyscale, RGB and RGBA images keep their channels.
    /// </summary>
    /// <param name="image">The image to write.</param>
    /// <param name="path">The file to create or replace.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names a directory.</exception>
    public static void SavePng(Image image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        AtomicFile.Write(path, stream => image.Save(stream, EncoderFor(image)));
    }

    private static PngEncoder EncoderFor(Image image) => image switch
    {
        Image<L8> => new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 },
        Image<Rgb24> => new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 },
        Image<Rgba32> => new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 },
        _ => new PngEncoder(),
    };
}
