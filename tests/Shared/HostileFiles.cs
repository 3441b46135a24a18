using System.Buffers.Binary;
using System.IO.Compression;

namespace DinoSeg.Tests.Shared;

/// <summary>Crafted files for the hostile-input tests of the library and the CLI.</summary>
internal static class HostileFiles
{
    /// <summary>A PNG signature and an IHDR chunk (valid CRC) declaring the given size, with no pixel data after it.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var chunk = new byte[17];
        "IHDR"u8.CopyTo(chunk);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(8), height);
        chunk[12] = 8; // bit depth
        chunk[13] = 2; // colour type RGB
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(chunk));
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, .. chunk, .. crc];
    }

    /// <summary>
    /// A GIF with a <paramref name="screen"/> × <paramref name="screen"/> logical screen and <paramref name="frames"/>
    /// one-pixel frames (well under 1 KiB): a decoder that renders every frame onto its own full-screen canvas needs
    /// frames × screen² × 4 bytes.
    /// </summary>
    public static byte[] GifManyFrames(int screen, int frames)
    {
        var gif = new List<byte>("GIF89a"u8.ToArray());
        gif.AddRange([(byte)screen, (byte)(screen >> 8), (byte)screen, (byte)(screen >> 8), 0x80, 0, 0]); // global table of 2 colours
        gif.AddRange([0, 0, 0, 255, 255, 255]);
        for (int i = 0; i < frames; i++)
        {
            gif.AddRange([0x21, 0xF9, 4, 0, 10, 0, 0, 0]); // graphic control: 0.1 s, no disposal
            gif.AddRange([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1x1 frame at the origin
            gif.AddRange([2, 2, 0x44, 0x01, 0]);                 // LZW: clear, index 0, end
        }

        gif.Add(0x3B);
        return [.. gif];
    }

    /// <summary>
    /// A baseline TIFF (8-bit grey, deflate, one strip per page) with one page per size; all-zero pixels, so each page's
    /// strip is a few KiB however large the page (pages of one size share their strip).
    /// </summary>
    public static byte[] TiffPages(params (int Width, int Height)[] pages)
    {
        var strips = new Dictionary<(int, int), byte[]>();
        foreach (var size in pages)
        {
            if (!strips.ContainsKey(size)) strips[size] = Deflated((long)size.Width * size.Height);
        }

        using var tiff = new MemoryStream();
        var writer = new BinaryWriter(tiff);
        writer.Write("II*\0"u8);
        writer.Write(0u); // first IFD, patched below
        var offsets = new Dictionary<(int, int), long>();
        foreach (var (size, strip) in strips)
        {
            offsets[size] = tiff.Position;
            writer.Write(strip);
            if ((tiff.Position & 1) != 0) writer.Write((byte)0);
        }

        long previousLink = 4;
        foreach (var (width, height) in pages)
        {
            long ifd = tiff.Position;
            tiff.Position = previousLink;
            writer.Write((uint)ifd);
            tiff.Position = ifd;
            (ushort Tag, ushort Type, uint Value)[] entries =
            [
                (256, 4, (uint)width), (257, 4, (uint)height), (258, 3, 8), (259, 3, 8), (262, 3, 1),
                (273, 4, (uint)offsets[(width, height)]), (277, 3, 1), (278, 4, (uint)height), (279, 4, (uint)strips[(width, height)].Length),
            ];
            writer.Write((ushort)entries.Length);
            foreach (var (tag, type, value) in entries)
            {
                writer.Write(tag);
                writer.Write(type);
                writer.Write(1u);
                writer.Write(value);
            }

            previousLink = tiff.Position;
            writer.Write(0u);
        }

        writer.Flush();
        return tiff.ToArray();
    }

    /// <summary>
    /// An 8 × 8 RGB PNG carrying <paramref name="chunks"/> zTXt chunks, each inflating to <paramref name="inflatedBytes"/>
    /// bytes of text (the compressed data is about a thousandth of that): every chunk is the same.
    /// </summary>
    public static byte[] PngTextBomb(int chunks, long inflatedBytes)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", [0, 0, 0, 8, 0, 0, 0, 8, 8, 2, 0, 0, 0]);
        byte[] text = [.. "Comment"u8, 0, 0, .. Deflated(inflatedBytes)];
        for (int i = 0; i < chunks; i++) WriteChunk(png, "zTXt", text);
        WriteChunk(png, "IDAT", Deflated(8 * (1 + 8 * 3)));
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>zlib-compressed zeros.</summary>
    public static byte[] Deflated(long zeros)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length) zlib.Write(block, 0, (int)Math.Min(block.Length, left));
        }

        return compressed.ToArray();
    }

    /// <summary>Appends a PNG chunk (length, type, data, CRC).</summary>
    public static void WriteChunk(Stream png, string type, byte[] data)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head.AsSpan(4));
        png.Write(head);
        png.Write(data);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32([.. head.AsSpan(4), .. data]));
        png.Write(crc);
    }

    /// <summary>The CRC-32 PNG chunks carry (polynomial 0xEDB88320).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        return c;
    }).ToArray();
}
