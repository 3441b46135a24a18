using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg;

/// <summary>Resizing to a working size and writing normalised NCHW input for a backbone.</summary>
internal static class Preprocessing
{
    /// <summary>
    /// Working size for an image: the long side scaled to <paramref name="longSide"/>, aspect kept, each side rounded to the
    /// nearest multiple of the patch size (at least one patch).
    /// </summary>
    public static (int Width, int Height) WorkingSize(int width, int height, int longSide, int patchSize)
    {
        double scale = (double)longSide / Math.Max(width, height);
        int w = Math.Max(1, (int)Math.Round(width * scale / patchSize)) * patchSize;
        int h = Math.Max(1, (int)Math.Round(height * scale / patchSize)) * patchSize;
        return (w, h);
    }

    /// <summary>Resizes (unless already at that size) and writes channel planes normalised for <paramref name="backbone"/>.</summary>
    public static void WriteNchw(Image<Rgb24> image, int width, int height, Backbone backbone, Span<float> destination)
    {
        int plane = width * height;
        if (destination.Length < 3 * plane) throw new ArgumentException("Destination is shorter than 3 x width x height.", nameof(destination));

        Image<Rgb24>? resized = image.Width == width && image.Height == height
            ? null
            : image.Clone(x => x.Resize(width, height, KnownResamplers.Bicubic));
        try
        {
            // Plane k receives channel order[k] of the RGB pixel, so BGR models need no second pass.
            Span<int> order = backbone.ChannelOrder == ChannelOrder.Bgr ? [2, 1, 0] : [0, 1, 2];
            Span<float> scale = stackalloc float[3];
            Span<float> offset = stackalloc float[3];
            for (int k = 0; k < 3; k++)
            {
                int c = order[k];
                scale[k] = backbone.PixelScale / backbone.Std[c];
                offset[k] = -backbone.Mean[c] / backbone.Std[c];
            }

            WritePlanes(resized ?? image, order, scale, offset, destination[..(3 * plane)]);
        }
        finally
        {
            resized?.Dispose();
        }
    }

    private static void WritePlanes(Image<Rgb24> image, ReadOnlySpan<int> order, ReadOnlySpan<float> scale, ReadOnlySpan<float> offset, Span<float> planes)
    {
        int width = image.Width, plane = image.Width * image.Height;
        Span<float> p0 = planes[..plane], p1 = planes.Slice(plane, plane), p2 = planes.Slice(2 * plane, plane);
        int c0 = order[0], c1 = order[1], c2 = order[2];
        float s0 = scale[0], s1 = scale[1], s2 = scale[2], f0 = offset[0], f1 = offset[1], f2 = offset[2];
        for (int y = 0; y < image.Height; y++)
        {
            // Rgb24 rows are packed R, G, B bytes: plane k reads byte 3x + order[k], with no per-pixel branch.
            ReadOnlySpan<byte> row = MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span);
            Span<float> q0 = p0.Slice(y * width, width), q1 = p1.Slice(y * width, width), q2 = p2.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                int i = 3 * x;
                q0[x] = row[i + c0] * s0 + f0;
                q1[x] = row[i + c1] * s1 + f1;
                q2[x] = row[i + c2] * s2 + f2;
            }
        }
    }
}
