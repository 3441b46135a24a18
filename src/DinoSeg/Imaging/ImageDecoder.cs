using System.Collections.Concurrent;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg;

/// <summary>
/// Decodes images for DinoSeg: reads the header first and refuses images over <see cref="ImageLimits"/> before decoding,
/// applies EXIF orientation, and keeps the first frame of animated images. Formats: PNG, JPEG, BMP, GIF, TGA, TIFF, WebP, PBM.
/// </summary>
/// <remarks>
/// Stateless and thread-safe. Damaged files of any kind come out as <see cref="DinoSegImageException"/> (never as a decoder's
/// internal exception): see docs/reliability.md for the hostile cases and fuzzing behind that claim.
/// </remarks>
public static class ImageDecoder
{
    private const string Fix = "pass a readable PNG, JPEG, BMP, GIF, TGA, TIFF, WebP or PBM file";

    private static readonly ConcurrentDictionary<int, Configuration> Configurations = new();

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

    /// <summary>Decodes an image from a seekable stream; the stream stays open.</summary>
    /// <exception cref="DinoSegImageException">Not a supported image, truncated or corrupt, or over the limits.</exception>
    public static Image<Rgb24> Load(Stream stream, ImageLimits? limits = null) => Load(stream, limits, "stream");

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
            IImageInfo? info = Image.Identify(configuration, stream, out IImageFormat? format);
            if (info is null || format is null) throw new DinoSegImageException("an image", $"{name} in no supported image format", Fix);
            long pixels = (long)info.Width * info.Height;
            if (info.Width <= 0 || info.Height <= 0 || pixels > limits.MaxPixels)
            {
                throw new DinoSegImageException($"at most {limits.MaxPixels} pixels", $"a {format.Name} of {info.Width}x{info.Height} ({pixels} pixels) in {name}",
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
            var image = Image.Load<Rgb24>(configuration, stream);
            try
            {
                // Multi-frame images (GIF, TIFF, WebP): keep the first frame only.
                while (image.Frames.Count > 1) image.Frames.RemoveFrame(image.Frames.Count - 1);
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
    /// One ImageSharp configuration per allocation limit (few distinct limits exist in practice), each with its own pooled
    /// allocator capped at that limit; otherwise the defaults, so every built-in format stays registered.
    /// </summary>
    private static Configuration ConfigurationFor(int limitMegabytes) => Configurations.GetOrAdd(limitMegabytes, static limit =>
    {
        Configuration configuration = Configuration.Default.Clone();
        configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = limit });
        return configuration;
    });

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
