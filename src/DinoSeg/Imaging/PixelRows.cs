using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// Row conversions between ImageSharp images and raw buffers of a <see cref="PixelLayout"/>. ImageSharp's
/// <see cref="PixelOperations{TPixel}"/> does the work (vectorised shuffles), one row at a time so any stride works.
/// </summary>
internal static class PixelRows
{
    /// <summary>One row of <paramref name="layout"/> bytes into RGB pixels.</summary>
    public static void ToRgb(ReadOnlySpan<byte> source, PixelLayout layout, Span<Rgb24> destination)
    {
        Configuration configuration = Configuration.Default;
        switch (layout)
        {
            case PixelLayout.Rgb24:
                MemoryMarshal.Cast<byte, Rgb24>(source).CopyTo(destination);
                break;
            case PixelLayout.Bgr24:
                PixelOperations<Bgr24>.Instance.To(configuration, MemoryMarshal.Cast<byte, Bgr24>(source), destination);
                break;
            case PixelLayout.Rgba32:
                PixelOperations<Rgba32>.Instance.To(configuration, MemoryMarshal.Cast<byte, Rgba32>(source), destination);
                break;
            case PixelLayout.Bgra32:
                PixelOperations<Bgra32>.Instance.To(configuration, MemoryMarshal.Cast<byte, Bgra32>(source), destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown pixel layout.");
        }
    }

    /// <summary>Writes every row of <paramref name="image"/> into a raw buffer of <paramref name="layout"/> (RGB sources get alpha 255).</summary>
    public static void Write<TPixel>(Image<TPixel> image, Span<byte> destination, PixelLayout layout, int stride)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        stride = PixelBuffers.Stride(destination.Length, image.Width, image.Height, layout, stride, nameof(destination));
        int row = image.Width * PixelBuffers.BytesPerPixel(layout);
        Configuration configuration = Configuration.Default;
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<TPixel> source = image.DangerousGetPixelRowMemory(y).Span;
            Span<byte> target = destination.Slice(y * stride, row);
            switch (layout)
            {
                case PixelLayout.Rgb24:
                    PixelOperations<TPixel>.Instance.To(configuration, source, MemoryMarshal.Cast<byte, Rgb24>(target));
                    break;
                case PixelLayout.Bgr24:
                    PixelOperations<TPixel>.Instance.To(configuration, source, MemoryMarshal.Cast<byte, Bgr24>(target));
                    break;
                case PixelLayout.Rgba32:
                    PixelOperations<TPixel>.Instance.To(configuration, source, MemoryMarshal.Cast<byte, Rgba32>(target));
                    break;
                default:
                    PixelOperations<TPixel>.Instance.To(configuration, source, MemoryMarshal.Cast<byte, Bgra32>(target));
                    break;
            }
        }
    }
}
