using System.Buffers.Binary;
using System.IO.Compression;

namespace DinoSeg;

/// <summary>
/// Inflates a PNG's IDAT stream (without keeping it) and compares its length with what the header declares. The decoder
/// fills missing rows with zeros instead of failing, and on interlaced images whose header claims far more pixels than the
/// data holds it can spin for minutes, so a PNG whose pixel data is short is refused before it is decoded.
/// </summary>
internal static class PngDataCheck
{
    // Adam7 passes: first column, column step, first row, row step.
    private static readonly (int X0, int Dx, int Y0, int Dy)[] Passes =
        [(0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2)];

    /// <summary>Null when the IDAT data inflates to at least the declared size; otherwise what is wrong.</summary>
    public static string? Problem(Stream stream, long start)
    {
        Span<byte> header = stackalloc byte[29];
        stream.Position = start;
        if (stream.Read(header) < header.Length || !header.Slice(12, 4).SequenceEqual("IHDR"u8)) return null; // the decoder reports it
        long width = BinaryPrimitives.ReadUInt32BigEndian(header[16..]), height = BinaryPrimitives.ReadUInt32BigEndian(header[20..]);
        int bitDepth = header[24], channels = header[25] switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        int interlace = header[28];
        if (channels == 0 || bitDepth is not (1 or 2 or 4 or 8 or 16) || interlace > 1) return null;

        long bitsPerPixel = (long)channels * bitDepth, required = 0;
        if (interlace == 0)
        {
            required = height * (1 + (width * bitsPerPixel + 7) / 8);
        }
        else
        {
            foreach (var (x0, dx, y0, dy) in Passes)
            {
                long w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy;
                if (w > 0 && h > 0) required += h * (1 + (w * bitsPerPixel + 7) / 8);
            }
        }

        stream.Position = start + 8;
        long inflated = 0;
        try
        {
            using var zlib = new ZLibStream(new IdatStream(stream), CompressionMode.Decompress, leaveOpen: true);
            var buffer = new byte[64 * 1024];
            int read;
            while (inflated < required && (read = zlib.Read(buffer)) > 0) inflated += read;
        }
        catch (InvalidDataException e)
        {
            return $"corrupt compressed pixel data ({e.Message})";
        }

        return inflated < required
            ? $"pixel data for {inflated} of the {required} bytes a {width}x{height} image needs (cut short or a false size)"
            : null;
    }

    /// <summary>The data of consecutive IDAT chunks as one stream (CRCs are left to the decoder).</summary>
    private sealed class IdatStream(Stream png) : Stream
    {
        private long _left;
        private bool _done;
        private bool _seenIdat;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_left == 0)
            {
                if (_done || !NextIdat()) return 0;
            }

            int read = png.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (read == 0) _done = true;
            _left -= read;
            return read;
        }

        private bool NextIdat()
        {
            Span<byte> chunk = stackalloc byte[8];
            while (true)
            {
                if (_seenIdat) png.Position += 4; // CRC of the IDAT just read
                if (png.Read(chunk) < 8)
                {
                    _done = true;
                    return false;
                }

                long length = BinaryPrimitives.ReadUInt32BigEndian(chunk);
                bool idat = chunk[4..].SequenceEqual("IDAT"u8);
                if (idat)
                {
                    _seenIdat = true;
                    _left = Math.Min(length, png.Length - png.Position);
                    return true;
                }

                if (_seenIdat || chunk[4..].SequenceEqual("IEND"u8) || length > png.Length - png.Position)
                {
                    _done = true; // IDAT chunks must be consecutive; anything after them ends the data
                    return false;
                }

                png.Position += length + 4;
            }
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
