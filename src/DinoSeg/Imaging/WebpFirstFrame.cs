using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// The first frame of an animated WebP, which ImageSharp 2.1 refuses: the first ANMF chunk's bitstream (VP8L, or VP8 with
/// its optional ALPH) is rewrapped as a still WebP, decoded, and placed on a canvas of the animation's size at the frame's
/// offset. The other frames are never read.
/// </summary>
internal static class WebpFirstFrame
{
    private const int AnimationFlag = 0x02, AlphaFlag = 0x10;

    /// <summary>
    /// The canvas size of the animated WebP at <paramref name="start"/> (a RIFF WEBP whose VP8X chunk has the animation flag
    /// set); null for anything else. The stream is left at <paramref name="start"/>.
    /// </summary>
    public static (int Width, int Height)? Canvas(Stream stream, long start)
    {
        Span<byte> head = stackalloc byte[30];
        stream.Position = start;
        bool animated = stream.Read(head) == head.Length && head[..4].SequenceEqual("RIFF"u8) && head[8..16].SequenceEqual("WEBPVP8X"u8)
            && (head[20] & AnimationFlag) != 0;
        stream.Position = start;
        return animated ? (ReadUInt24(head[24..]) + 1, ReadUInt24(head[27..]) + 1) : null;
    }

    /// <summary>Decodes frame 0 onto a <paramref name="canvasWidth"/> × <paramref name="canvasHeight"/> canvas (already checked against the limits).</summary>
    /// <exception cref="InvalidImageContentException">No frame, or a frame that does not fit the canvas.</exception>
    public static Image<Rgb24> Decode(Configuration configuration, Stream stream, long start, int canvasWidth, int canvasHeight)
    {
        byte[] still = FirstFrameAsStill(stream, start, out int x, out int y, out int width, out int height);
        if ((long)x + width > canvasWidth || (long)y + height > canvasHeight)
        {
            throw new InvalidImageContentException($"WebP frame 0 ({width}x{height} at {x},{y}) does not fit its {canvasWidth}x{canvasHeight} canvas");
        }

        var frame = Image.Load<Rgb24>(configuration, still);
        if (frame.Width != width || frame.Height != height)
        {
            frame.Dispose();
            throw new InvalidImageContentException($"WebP frame 0 declares {width}x{height} but its bitstream holds {frame.Width}x{frame.Height}");
        }

        if (x == 0 && y == 0 && width == canvasWidth && height == canvasHeight) return frame;
        using (frame)
        {
            var canvas = new Image<Rgb24>(configuration, canvasWidth, canvasHeight);
            try
            {
                frame.ProcessPixelRows(canvas, (source, target) =>
                {
                    for (int row = 0; row < source.Height; row++) source.GetRowSpan(row).CopyTo(target.GetRowSpan(y + row)[x..]);
                });
                return canvas;
            }
            catch
            {
                canvas.Dispose();
                throw;
            }
        }
    }

    private static byte[] FirstFrameAsStill(Stream stream, long start, out int x, out int y, out int width, out int height)
    {
        stream.Position = start + 12;
        Span<byte> header = stackalloc byte[8];
        long end = stream.Length;
        while (stream.Read(header) == 8)
        {
            long size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (size > end - stream.Position) break;
            if (!header[..4].SequenceEqual("ANMF"u8) || size < 16)
            {
                stream.Position += size + (size & 1);
                continue;
            }

            var anmf = new byte[size];
            stream.ReadExactly(anmf);
            x = 2 * ReadUInt24(anmf.AsSpan(0));
            y = 2 * ReadUInt24(anmf.AsSpan(3));
            width = ReadUInt24(anmf.AsSpan(6)) + 1;
            height = ReadUInt24(anmf.AsSpan(9)) + 1;
            ReadOnlySpan<byte> alpha = default, bitstream = default;
            for (int at = 16; at + 8 <= anmf.Length;)
            {
                long chunkSize = BinaryPrimitives.ReadUInt32LittleEndian(anmf.AsSpan(at + 4));
                if (chunkSize > anmf.Length - at - 8) break;
                ReadOnlySpan<byte> chunk = anmf.AsSpan(at, 8 + (int)chunkSize);
                if (chunk[..4].SequenceEqual("ALPH"u8))
                {
                    alpha = chunk;
                }
                else if (chunk[..4].SequenceEqual("VP8 "u8) || chunk[..4].SequenceEqual("VP8L"u8))
                {
                    bitstream = chunk;
                    break;
                }

                at += 8 + (int)chunkSize + (int)(chunkSize & 1);
            }

            if (bitstream.IsEmpty) break;
            bool withAlpha = !alpha.IsEmpty && bitstream[..4].SequenceEqual("VP8 "u8);
            using var still = new MemoryStream();
            still.Write("RIFF\0\0\0\0WEBP"u8);
            if (withAlpha)
            {
                Span<byte> vp8x = stackalloc byte[18];
                vp8x.Clear();
                "VP8X"u8.CopyTo(vp8x);
                BinaryPrimitives.WriteUInt32LittleEndian(vp8x[4..], 10);
                vp8x[8] = AlphaFlag;
                WriteUInt24(vp8x[12..], width - 1);
                WriteUInt24(vp8x[15..], height - 1);
                still.Write(vp8x);
                WriteChunk(still, alpha);
            }

            WriteChunk(still, bitstream);
            byte[] bytes = still.ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
            return bytes;
        }

        throw new InvalidImageContentException("an animated WebP without a readable first frame (ANMF with a VP8 or VP8L bitstream)");
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> chunk)
    {
        stream.Write(chunk);
        if ((chunk.Length & 1) != 0) stream.WriteByte(0);
    }

    private static int ReadUInt24(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    private static void WriteUInt24(Span<byte> bytes, int value)
    {
        bytes[0] = (byte)value;
        bytes[1] = (byte)(value >> 8);
        bytes[2] = (byte)(value >> 16);
    }
}
