using System.Collections.Concurrent;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg;

/// <summary>
/// Decodes images for DinoSeg: reads the header first and refuses images over <see cref="ImageLimits"/> before decoding,
/// applies EXIF orientation, and keeps the first frame of animated images. Formats: PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM.
/// </summary>
/// <remarks>
/// Only the first frame or page of a GIF, TIFF or animated WebP is ever decoded (the others are skipped unread), and PNG
/// text chunks (tEXt, zTXt, iTXt) are never inflated, so neither a file of many huge frames nor a compressed-text bomb
/// costs more than the first frame does.
/// </remarks>
/// <remarks>
/// Stateless and thread-safe. Damaged files of any kind come out as <see cref="DinoSegImageException"/> (never as a decoder's
/// internal exception): see docs/reliability.md for the hostile cases and fuzzing behind that claim.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The formats this decodes, named for people ("PNG, JPEG, …, WebP or PBM"): for messages and help texts.</summary>
    public const string FormatNames = "PNG, JPEG, BMP, GIF, TGA, TIFF, WebP or PBM";

    private const string Fix = $"pass a readable {FormatNames} file";

    private static readonly ConcurrentDictionary<int, Configuration> Configurations = new();

    /// <summary>
    /// The file extensions of the formats this decodes, lower case with the dot (".png", ".jpg", ".jpeg", ".tif", …), read
    /// from the decoders themselves, for tools that pick the images of a folder or name the formats in a file dialog.
    /// </summary>
    public static IReadOnlyList<string> FileExtensions { get; } =
    [
        .. ConfigurationFor(ImageLimits.Default.BufferLimitMegabytes).ImageFormats
            .SelectMany(format => format.FileExtensions)
            .Select(extension => "." + extension.ToLowerInvariant())
            .Distinct()
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Whether <paramref name="path"/> ends with one of <see cref="FileExtensions"/> (any case); the content is not read.</summary>
    public static bool HasImageExtension(string path) =>
        FileExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at that path.</exception>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static Image<Rgb24> Load(string path, ImageLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No image file at '{path}'.", path);
        using var stream = File.OpenRead(path);
        return Load(stream, limits, Path.GetFileName(path));
    }

    /// <summary>
    /// Decodes an image from a stream; the stream stays open. A stream that cannot seek (an HTTP request body, a pipe) is
    /// first read into memory, at most <see cref="ImageLimits.MaxBytes"/> of it: a longer one is refused while it is read,
    /// before any pixel is allocated, and the header checks then run on the copy as on any seekable stream.
    /// </summary>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static Image<Rgb24> Load(Stream stream, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek) return Load(stream, limits, "stream");
        using MemoryStream copy = BoundedCopy.ReadAll(stream, limits ?? ImageLimits.Default);
        return Load(copy, limits, "stream");
    }

    private static Image<Rgb24> Load(Stream stream, ImageLimits? limits, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= ImageLimits.Default;
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable: the header is read before the pixels.", nameof(stream));
        long length = stream.Length - stream.Position;
        if (length == 0) throw new DinoSegImageException("an image", $"an empty {name}", Fix);
        if (length > limits.MaxBytes)
        {
            throw new DinoSegImageException($"at most {limits.MaxBytes} bytes", $"{length} bytes in {name}",
                "pass a smaller file or raise ImageLimits.MaxBytes");
        }

        long start = stream.Position;
        try
        {
            Configuration configuration = ConfigurationFor(limits.BufferLimitMegabytes);
            if (HeaderOf(configuration, stream, start) is not { } header) throw new DinoSegImageException("an image", $"{name} in no supported image format", Fix);
            IImageFormat format = header.Format;
            long pixels = (long)header.Width * header.Height;
            if (header.Width <= 0 || header.Height <= 0 || pixels > limits.MaxPixels)
            {
                throw new DinoSegImageException($"at most {limits.MaxPixels} pixels", $"a {format.Name} of {header.Width}x{header.Height} ({pixels} pixels) in {name}",
                    "downscale the image first or raise ImageLimits.MaxPixels");
            }

            if (!HasEndMarker(stream, start, format))
            {
                throw new DinoSegImageException($"a complete {format.Name} file", $"{name} cut short (no end marker)", Fix);
            }

            if (format.Name == "PNG" && PngDataCheck.Problem(stream, start) is { } problem)
            {
                throw new DinoSegImageException("PNG pixel data as large as its header declares", $"{name} with {problem}", Fix);
            }

            stream.Position = start;
            // GIF and TIFF decoders are configured to decode frame 0 only; animated WebP (which ImageSharp 2.1 refuses) is
            // cut down to its first frame here.
            var image = header.Animated
                ? WebpFirstFrame.Decode(configuration, stream, start, header.Width, header.Height)
                : Image.Load<Rgb24>(configuration, stream);
            try
            {
                while (image.Frames.Count > 1) image.Frames.RemoveFrame(image.Frames.Count - 1);
                if (format.Name == "PNG" && PngExif(stream, start) is { } exif) image.Metadata.ExifProfile = exif;
                image.Mutate(x => x.AutoOrient());
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
        }
        catch (Exception e) when (OverAllocationLimit(e))
        {
            // Some decoders wrap the allocator's refusal in their own "invalid content" exception: look through them.
            throw new DinoSegImageException($"an image that decodes within {limits.BufferLimitMegabytes} MiB per buffer",
                $"{name} whose decoder asked for more ({e.Message})", "raise ImageLimits.MaxBufferMegabytes if the file is genuine", e);
        }
        catch (UnknownImageFormatException e)
        {
            throw new DinoSegImageException("an image", $"{name} in no supported image format", Fix, e);
        }
        catch (InvalidImageContentException e)
        {
            throw new DinoSegImageException("a complete, valid image", $"a corrupt or truncated {name} ({e.Message})", Fix, e);
        }
        catch (ImageFormatException e)
        {
            throw new DinoSegImageException("a complete, valid image", $"an unreadable {name} ({e.Message})", Fix, e);
        }
        catch (NotSupportedException e)
        {
            throw new DinoSegImageException("an image in a supported variant of its format", $"{name}: {e.Message}", Fix, e);
        }
        catch (Exception e) when (IsDecoderFault(e))
        {
            // ImageSharp 2.x lets these escape on some damaged files (found by tests/DinoSeg.Tests/Reliability/DecoderFuzzTests.cs).
            throw new DinoSegImageException("a complete, valid image", $"a damaged {name} that the decoder failed on ({e.GetType().Name}: {e.Message})", Fix, e);
        }
    }

    /// <summary>
    /// Reads the header of an image without decoding it: its format and size (the first frame's, or a GIF's logical screen,
    /// or an animated WebP's canvas). Null when the bytes are in no supported format. The stream stays open and is left
    /// where it was. Uses the same decoders as <see cref="Load(Stream, ImageLimits?)"/>: PNG text chunks are not inflated
    /// and frames after the first are not read.
    /// </summary>
    /// <exception cref="DinoSegImageException">The format is recognised but its header is damaged.</exception>
    public static ImageHeader? Identify(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek) throw new ArgumentException("The stream must be seekable.", nameof(stream));
        long start = stream.Position;
        try
        {
            return HeaderOf(ConfigurationFor(ImageLimits.Default.BufferLimitMegabytes), stream, start) is { } header
                ? new ImageHeader(header.Format.Name, header.Width, header.Height)
                : null;
        }
        catch (UnknownImageFormatException)
        {
            return null;
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException || IsDecoderFault(e) || OverAllocationLimit(e))
        {
            throw new DinoSegImageException("a readable image header", $"a damaged header ({e.GetType().Name}: {e.Message})", Fix, e);
        }
        finally
        {
            stream.Position = start;
        }
    }

    /// <summary>
    /// The format and size from the header; for an animated WebP (which ImageSharp 2.1 cannot even identify) the canvas
    /// size from its VP8X chunk. Null for an unknown format.
    /// </summary>
    private static (IImageFormat Format, int Width, int Height, bool Animated)? HeaderOf(Configuration configuration, Stream stream, long start)
    {
        if (WebpFirstFrame.Canvas(stream, start) is var (canvasWidth, canvasHeight)) return (WebpFormat.Instance, canvasWidth, canvasHeight, true);
        IImageInfo? info = Image.Identify(configuration, stream, out IImageFormat? format);
        return info is null || format is null ? null : (format, info.Width, info.Height, false);
    }

    /// <summary>
    /// One ImageSharp configuration per allocation limit (few distinct limits exist in practice), each with its own pooled
    /// allocator capped at that limit and its own decoders: every built-in format, with GIF and TIFF decoding their first
    /// frame only and PNG skipping its metadata chunks (so zTXt and iTXt are never inflated; eXIf is read by
    /// <see cref="PngExif"/>).
    /// </summary>
    private static Configuration ConfigurationFor(int limitMegabytes) => Configurations.GetOrAdd(limitMegabytes, static limit =>
    {
        // A configuration of its own (Configuration.Default.Clone() would share, and so change, the global decoders).
        var configuration = new Configuration(new PngConfigurationModule(), new JpegConfigurationModule(), new GifConfigurationModule(),
            new BmpConfigurationModule(), new PbmConfigurationModule(), new TgaConfigurationModule(), new TiffConfigurationModule(),
            new WebpConfigurationModule());
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = limit });
        configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First, IgnoreMetadata = true });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    });

    /// <summary>
    /// The PNG's eXIf chunk (for its orientation), which the decoder skips along with the text chunks; null when it has none.
    /// Walks the chunk headers only; at most one chunk's data (bounded by the file's length) is read.
    /// </summary>
    private static ExifProfile? PngExif(Stream stream, long start)
    {
        Span<byte> chunk = stackalloc byte[8];
        stream.Position = start + 8;
        while (stream.Read(chunk) == 8)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(chunk);
            if (length > stream.Length - stream.Position || chunk[4..].SequenceEqual("IEND"u8)) return null;
            if (chunk[4..].SequenceEqual("eXIf"u8))
            {
                var data = new byte[length];
                stream.ReadExactly(data);
                return new ExifProfile(data);
            }

            stream.Position += length + 4;
        }

        return null;
    }

    private static bool OverAllocationLimit(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is InvalidMemoryOperationException) return true;
        }

        return false;
    }

    /// <summary>Exceptions a decoder throws on malformed data rather than on a real I/O or resource problem.</summary>
    private static bool IsDecoderFault(Exception e) => e is NullReferenceException or IndexOutOfRangeException or ArgumentException
        or InvalidOperationException or OverflowException or DivideByZeroException or InvalidCastException or EndOfStreamException
        or InvalidDataException;

    /// <summary>
    /// The decoder fills a cut-short PNG or JPEG with blank rows instead of failing, so look for the format's end marker:
    /// PNG ends with an IEND chunk; JPEG's EOI (FF D9) cannot occur inside entropy-coded data, so it must appear near the end
    /// (trailing metadata after it is allowed).
    /// </summary>
    private static bool HasEndMarker(Stream stream, long start, IImageFormat format)
    {
        bool png = format.Name == "PNG", jpeg = format.Name == "JPEG";
        if (!png && !jpeg) return true;
        int tailLength = (int)Math.Min(stream.Length - start, png ? 12 : 64 * 1024);
        var tail = new byte[tailLength];
        stream.Position = stream.Length - tailLength;
        stream.ReadExactly(tail);
        return png ? tail.AsSpan().IndexOf("IEND"u8) >= 0 : tail.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
    }
}
