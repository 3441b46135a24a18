using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        // Plane k holds channel order[k]: find, for each of R, G, B, its plane, scale and offset.
        int kR = order.IndexOf(0), kG = order.IndexOf(1), kB = order.IndexOf(2);
        var channels = new ChannelMaps(scale[kR], offset[kR], scale[kG], offset[kG], scale[kB], offset[kB]);
        for (int y = 0; y < image.Height; y++)
        {
            ReadOnlySpan<byte> row = MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span);
            WriteRow(row, channels,
                planes.Slice(kR * plane + y * width, width),
                planes.Slice(kG * plane + y * width, width),
                planes.Slice(kB * plane + y * width, width));
        }
    }

    /// <summary>Per-channel affine map byte → float: value × scale + offset.</summary>
    internal readonly record struct ChannelMaps(float ScaleR, float OffsetR, float ScaleG, float OffsetG, float ScaleB, float OffsetB);

    /// <summary>
    /// One row of packed R, G, B bytes → three float rows. Sixteen pixels (48 bytes) at a time: byte shuffles pick each
    /// channel out of three 16-byte loads, then the bytes widen to floats; the tail goes through the scalar loop.
    /// </summary>
    internal static void WriteRow(ReadOnlySpan<byte> rgb, in ChannelMaps maps, Span<float> red, Span<float> green, Span<float> blue)
    {
        int width = red.Length;
        if (rgb.Length < 3 * width || green.Length != width || blue.Length != width)
        {
            throw new ArgumentException("The row must hold 3 bytes per pixel and the three planes the same width.", nameof(rgb));
        }

        int x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            ref byte source = ref MemoryMarshal.GetReference(rgb);
            for (; x <= width - 16; x += 16)
            {
                Vector128<byte> a = Vector128.LoadUnsafe(ref source, (nuint)(3 * x));
                Vector128<byte> b = Vector128.LoadUnsafe(ref source, (nuint)(3 * x + 16));
                Vector128<byte> c = Vector128.LoadUnsafe(ref source, (nuint)(3 * x + 32));
                // Shuffle indices outside 0..15 give 0, so OR-ing the three shuffles gathers one channel.
                Vector128<byte> r = Vector128.Shuffle(a, Masks.RedA) | Vector128.Shuffle(b, Masks.RedB) | Vector128.Shuffle(c, Masks.RedC);
                Vector128<byte> g = Vector128.Shuffle(a, Masks.GreenA) | Vector128.Shuffle(b, Masks.GreenB) | Vector128.Shuffle(c, Masks.GreenC);
                Vector128<byte> bl = Vector128.Shuffle(a, Masks.BlueA) | Vector128.Shuffle(b, Masks.BlueB) | Vector128.Shuffle(c, Masks.BlueC);
                Store16(r, maps.ScaleR, maps.OffsetR, red.Slice(x, 16));
                Store16(g, maps.ScaleG, maps.OffsetG, green.Slice(x, 16));
                Store16(bl, maps.ScaleB, maps.OffsetB, blue.Slice(x, 16));
            }
        }

        for (; x < width; x++)
        {
            int i = 3 * x;
            red[x] = rgb[i] * maps.ScaleR + maps.OffsetR;
            green[x] = rgb[i + 1] * maps.ScaleG + maps.OffsetG;
            blue[x] = rgb[i + 2] * maps.ScaleB + maps.OffsetB;
        }
    }

    private static void Store16(Vector128<byte> bytes, float scale, float offset, Span<float> destination)
    {
        // Multiply then add, unfused, so the result is bit-identical to the scalar tail.
        Vector128<float> s = Vector128.Create(scale), o = Vector128.Create(offset);
        (Vector128<ushort> low, Vector128<ushort> high) = Vector128.Widen(bytes);
        (Vector128<uint> q0, Vector128<uint> q1) = Vector128.Widen(low);
        (Vector128<uint> q2, Vector128<uint> q3) = Vector128.Widen(high);
        (Vector128.ConvertToSingle(q0.AsInt32()) * s + o).CopyTo(destination);
        (Vector128.ConvertToSingle(q1.AsInt32()) * s + o).CopyTo(destination[4..]);
        (Vector128.ConvertToSingle(q2.AsInt32()) * s + o).CopyTo(destination[8..]);
        (Vector128.ConvertToSingle(q3.AsInt32()) * s + o).CopyTo(destination[12..]);
    }

    /// <summary>Shuffle indices that pull channel k of pixels 0..15 out of bytes [16·v, 16·v + 16) of a 48-byte block.</summary>
    private static class Masks
    {
        public static readonly Vector128<byte> RedA = Make(0, 0), RedB = Make(0, 1), RedC = Make(0, 2);
        public static readonly Vector128<byte> GreenA = Make(1, 0), GreenB = Make(1, 1), GreenC = Make(1, 2);
        public static readonly Vector128<byte> BlueA = Make(2, 0), BlueB = Make(2, 1), BlueC = Make(2, 2);

        private static Vector128<byte> Make(int channel, int vector)
        {
            Span<byte> indices = stackalloc byte[16];
            for (int pixel = 0; pixel < 16; pixel++)
            {
                int at = 3 * pixel + channel - 16 * vector;
                indices[pixel] = at is >= 0 and < 16 ? (byte)at : (byte)0xFF;
            }

            return Vector128.Create<byte>(indices);
        }
    }
}
