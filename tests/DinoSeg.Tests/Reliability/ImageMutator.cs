using System.Buffers.Binary;
using DinoSeg.Tests.Shared;

namespace DinoSeg.Tests.Reliability;

/// <summary>The ways the fuzz test damages a file. Structure-aware kinds fix PNG CRCs so the decoder gets past the checksum.</summary>
internal enum Mutation
{
    BitFlips,
    ByteRun,
    Truncate,
    TruncateKeepEnd,
    InsertBytes,
    PngChunkLengthLie,
    PngIhdrDimensionLie,
    PngIhdrFieldLie,
    PngChunkDataWithCrc,
    JpegSofDimensionLie,
    JpegSofComponentLie,
    JpegSegmentLengthLie,
    JpegTableCorrupt,
}

/// <summary>Deterministic mutations of PNG and JPEG bytes (same input and <see cref="Random"/> seed, same output).</summary>
internal static class ImageMutator
{
    public static readonly Mutation[] Generic = [Mutation.BitFlips, Mutation.ByteRun, Mutation.Truncate, Mutation.TruncateKeepEnd, Mutation.InsertBytes];

    public static readonly Mutation[] Png = [.. Generic, Mutation.PngChunkLengthLie, Mutation.PngIhdrDimensionLie, Mutation.PngIhdrFieldLie, Mutation.PngChunkDataWithCrc];

    public static readonly Mutation[] Jpeg = [.. Generic, Mutation.JpegSofDimensionLie, Mutation.JpegSofComponentLie, Mutation.JpegSegmentLengthLie, Mutation.JpegTableCorrupt];

    // Sizes a liar would pick: zero, tiny, the 16- and 31-bit edges, and sizes far beyond any limit.
    private static readonly uint[] PngSizes = [0, 1, 2, 3, 65535, 65536, 100_000, 1_000_000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];
    private static readonly ushort[] JpegSizes = [0, 1, 2, 7, 8, 9, 16, 17, 4096, 32767, 32768, 65500, 65535];

    public static byte[] Apply(byte[] source, Mutation mutation, Random random)
    {
        byte[] data = [.. source];
        if (data.Length < 64) return data; // only ever reached by a second mutation after a deep cut: nothing left to lie about
        switch (mutation)
        {
            case Mutation.BitFlips:
                for (int k = random.Next(1, 17); k > 0; k--) data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                return data;
            case Mutation.ByteRun:
                return ByteRun(data, random.Next(data.Length), random);
            case Mutation.Truncate:
                return data[..random.Next(data.Length)];
            case Mutation.TruncateKeepEnd:
                return TruncateKeepEnd(data, random);
            case Mutation.InsertBytes:
                {
                    int at = random.Next(data.Length), count = random.Next(1, 256);
                    var inserted = new byte[count];
                    if (random.Next(2) == 0) random.NextBytes(inserted);
                    else data.AsSpan(random.Next(data.Length - Math.Min(count, data.Length) + 1), Math.Min(count, data.Length)).CopyTo(inserted);
                    return [.. data.AsSpan(0, at), .. inserted, .. data.AsSpan(at)];
                }

            case Mutation.PngChunkLengthLie:
                return PngChunkLengthLie(data, random);
            case Mutation.PngIhdrDimensionLie:
                {
                    // IHDR data starts at 16: width, height (big-endian), bit depth, colour type, compression, filter, interlace.
                    if (random.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16), Pick(PngSizes, random));
                    else BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(20), Pick(PngSizes, random));
                    if (random.Next(3) == 0) BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(16 + 4 * random.Next(2)), (uint)random.Next(1, 5000));
                    FixPngCrc(data, 8);
                    return data;
                }

            case Mutation.PngIhdrFieldLie:
                data[24 + random.Next(5)] = (byte)(random.Next(3) == 0 ? random.Next(256) : Pick<byte>([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255], random));
                FixPngCrc(data, 8);
                return data;
            case Mutation.PngChunkDataWithCrc:
                {
                    var chunks = PngChunks(data);
                    if (chunks.Count == 0) return ByteRun(data, random.Next(data.Length), random);
                    var (offset, length) = chunks[random.Next(chunks.Count)];
                    if (length == 0) return ByteRun(data, offset + 4, random);
                    for (int k = random.Next(1, 9); k > 0; k--) data[offset + 8 + random.Next(length)] = (byte)random.Next(256);
                    FixPngCrc(data, offset);
                    return data;
                }

            case Mutation.JpegSofDimensionLie:
                {
                    int sof = JpegSof(data);
                    if (sof < 0) return ByteRun(data, random.Next(data.Length), random);
                    // SOFn: FF Cn, length(2), precision(1), height(2), width(2), components(1), then 3 bytes per component.
                    BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5 + 2 * random.Next(2)), Pick(JpegSizes, random));
                    if (random.Next(3) == 0) BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(sof + 5 + 2 * random.Next(2)), Pick(JpegSizes, random));
                    return data;
                }

            case Mutation.JpegSofComponentLie:
                {
                    int sof = JpegSof(data);
                    if (sof < 0) return ByteRun(data, random.Next(data.Length), random);
                    int components = data[sof + 9];
                    int field = random.Next(2 + 3 * components); // precision, component count, or one component byte
                    int at = field switch { 0 => sof + 4, 1 => sof + 9, _ => sof + 10 + (field - 2) };
                    data[at] = (byte)(random.Next(2) == 0 ? random.Next(256) : Pick<byte>([0, 1, 2, 3, 4, 5, 8, 12, 16, 0x11, 0x22, 0x44, 0xFF], random));
                    return data;
                }

            case Mutation.JpegSegmentLengthLie:
                {
                    var segments = JpegSegments(data);
                    if (segments.Count == 0) return ByteRun(data, random.Next(data.Length), random);
                    int at = segments[random.Next(segments.Count)].Offset;
                    ushort length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at + 2));
                    ushort[] lies = [0, 1, 2, 3, (ushort)(length - 1), (ushort)(length + 1), (ushort)(length * 2), 0xFFFF, (ushort)random.Next(65536)];
                    BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at + 2), Pick(lies, random));
                    return data;
                }

            case Mutation.JpegTableCorrupt:
                {
                    // Quantisation (DB), Huffman (C4), restart interval (DD) and the scan header (DA).
                    var tables = JpegSegments(data).Where(s => s.Marker is 0xDB or 0xC4 or 0xDD or 0xDA).ToList();
                    if (tables.Count == 0) return ByteRun(data, random.Next(data.Length), random);
                    var (offset, _, length) = tables[random.Next(tables.Count)];
                    for (int k = random.Next(1, 6); k > 0; k--) data[offset + 4 + random.Next(Math.Max(1, length - 2))] = (byte)random.Next(256);
                    return data;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(mutation), mutation, null);
        }
    }

    private static T Pick<T>(T[] values, Random random) => values[random.Next(values.Length)];

    private static byte[] ByteRun(byte[] data, int at, Random random)
    {
        int count = Math.Min(random.Next(1, 65), data.Length - at);
        Span<byte> run = data.AsSpan(at, count);
        switch (random.Next(4))
        {
            case 0: run.Fill(0x00); break;
            case 1: run.Fill(0xFF); break;
            case 2: run.Fill((byte)random.Next(256)); break;
            default: random.NextBytes(run); break;
        }

        return data;
    }

    /// <summary>Cuts out the middle but keeps the format's end marker, so the decoder itself meets the missing data.</summary>
    private static byte[] TruncateKeepEnd(byte[] data, Random random)
    {
        int tail = data[0] == 0x89 ? 12 : 2; // PNG IEND chunk, or JPEG EOI
        int cut = random.Next(Math.Max(1, data.Length - tail));
        return [.. data.AsSpan(0, cut), .. data.AsSpan(data.Length - tail)];
    }

    private static byte[] PngChunkLengthLie(byte[] data, Random random)
    {
        var chunks = PngChunks(data);
        if (chunks.Count == 0) return ByteRun(data, random.Next(data.Length), random);
        var (offset, length) = chunks[random.Next(chunks.Count)];
        uint[] lies = [0, 1, (uint)length - 1, (uint)length + 1, (uint)length * 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (uint)random.Next(), (uint)random.Next(1 << 20)];
        uint lie = Pick(lies, random);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(offset), lie);
        // Where the lie still points inside the file, write a matching CRC there so the decoder trusts the chunk.
        if (lie <= (uint)(data.Length - offset - 12)) FixPngCrc(data, offset);
        return data;
    }

    /// <summary>Rewrites the CRC of the chunk at <paramref name="offset"/> (its length field as it now reads).</summary>
    private static void FixPngCrc(byte[] data, int offset)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
        if (length > (uint)(data.Length - offset - 12)) return;
        uint crc = HostileFiles.Crc32(data.AsSpan(offset + 4, 4 + (int)length));
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(offset + 8 + (int)length), crc);
    }

    /// <summary>(offset of the length field, data length) of every well-formed chunk.</summary>
    private static List<(int Offset, int Length)> PngChunks(byte[] data)
    {
        var chunks = new List<(int, int)>();
        for (int at = 8; at + 12 <= data.Length;)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (length > (uint)(data.Length - at - 12)) break;
            chunks.Add((at, (int)length));
            at += 12 + (int)length;
        }

        return chunks;
    }

    private static int JpegSof(byte[] data)
    {
        foreach (var (offset, marker, _) in JpegSegments(data))
        {
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC && offset + 10 < data.Length) return offset;
        }

        return -1;
    }

    /// <summary>(offset of the FF, marker byte, segment length) of every segment up to and including the first scan header.</summary>
    private static List<(int Offset, byte Marker, int Length)> JpegSegments(byte[] data)
    {
        var segments = new List<(int, byte, int)>();
        for (int at = 2; at + 4 <= data.Length && data[at] == 0xFF;)
        {
            byte marker = data[at + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at + 2));
            if (length < 2 || at + 2 + length > data.Length) break;
            segments.Add((at, marker, length));
            if (marker == 0xDA) break;
            at += 2 + length;
        }

        return segments;
    }
}
