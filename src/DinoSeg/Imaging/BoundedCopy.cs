using System.Buffers;

namespace DinoSeg;

/// <summary>
/// Reads a stream of unknown length (an HTTP request body, a pipe) into memory, never past a byte limit, so the decoder
/// can seek in it. The limit is checked while reading, before a single pixel is allocated: a stream longer than
/// <see cref="ImageLimits.MaxBytes"/> costs at most that many bytes of buffer (twice that while the buffer grows).
/// </summary>
internal static class BoundedCopy
{
    private const int Chunk = 81920;

    public static MemoryStream ReadAll(Stream stream, ImageLimits limits)
    {
        MemoryStream buffer = Start(stream, limits);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            int read;
            while ((read = stream.Read(chunk, 0, Chunk)) > 0) Append(buffer, chunk, read, limits);
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        buffer.Position = 0;
        return buffer;
    }

    public static async Task<MemoryStream> ReadAllAsync(Stream stream, ImageLimits limits, CancellationToken cancellationToken)
    {
        MemoryStream buffer = Start(stream, limits);
        byte[] chunk = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk.AsMemory(0, Chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                Append(buffer, chunk, read, limits);
            }
        }
        catch
        {
            await buffer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        buffer.Position = 0;
        return buffer;
    }

    private static MemoryStream Start(Stream stream, ImageLimits limits)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream must be readable.", nameof(stream));
        if (stream.CanSeek && stream.Length - stream.Position > limits.MaxBytes) throw TooLong(limits, $"{stream.Length - stream.Position} bytes");
        // A seekable stream says how much is coming; otherwise start small and grow (never beyond the limit, see Append).
        long expected = stream.CanSeek ? stream.Length - stream.Position : Chunk;
        return new MemoryStream((int)Math.Clamp(expected, 0, Math.Min(limits.MaxBytes, Array.MaxLength)));
    }

    private static void Append(MemoryStream buffer, byte[] chunk, int read, ImageLimits limits)
    {
        if (buffer.Length + read > limits.MaxBytes) throw TooLong(limits, $"more than {limits.MaxBytes} bytes");
        buffer.Write(chunk, 0, read);
    }

    private static DinoSegImageException TooLong(ImageLimits limits, string found) =>
        new($"at most {limits.MaxBytes} bytes", $"{found} in the stream", "pass a smaller image or raise ImageLimits.MaxBytes");
}
