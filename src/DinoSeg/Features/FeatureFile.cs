using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace DinoSeg;

/// <summary>
/// What a caller knows about the features it is about to load; <see cref="FeatureFile.Load(string, FeatureExpectations?)"/>
/// refuses a file that disagrees. Every property is optional: null means "any".
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed record FeatureExpectations
{
    /// <summary>The backbone name the features must come from (see <see cref="Backbone.Name"/>).</summary>
    public string? Backbone { get; init; }

    /// <summary>The feature length the caller's model produces (tells a ViT-S export from a ViT-L one).</summary>
    public int? Dim { get; init; }

    /// <summary>The size of the image the features must describe, e.g. the image the caller has just decoded.</summary>
    public (int Width, int Height)? ImageSize { get; init; }

    /// <summary>
    /// Most pixels the described image may have (every full-resolution map of a segmentation is one float per pixel).
    /// Null: <see cref="ImageLimits.MaxPixels"/> of <see cref="ImageLimits.Default"/>, 100 megapixels, the largest image
    /// the decoder accepts by default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero or less.</exception>
    public long? MaxImagePixels
    {
        get;
        init
        {
            if (value is { } v) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(MaxImagePixels));
            field = value;
        }
    }
}

/// <summary>
/// Saves and loads <see cref="PatchFeatures"/> as a feature cache file, so a tool that reopens an image skips the backbone.
/// </summary>
/// <remarks>
/// <para>Format version 1, all numbers little-endian:</para>
/// <list type="table">
/// <item><term>0</term><description>8-byte magic <c>89 'D' 'S' 'F' 0D 0A 1A 0A</c> (a PNG-style magic: text-mode transfers break it visibly).</description></item>
/// <item><term>8</term><description>u16 format version (1); u16 payload type (0 = float32).</description></item>
/// <item><term>12</term><description>i32 rows, cols, dim, patch size, working width, working height, image width, image height.</description></item>
/// <item><term>44</term><description>u16 byte length of the backbone name, then the name in UTF-8 (at most 255 bytes).</description></item>
/// <item><term>…</term><description>rows × cols × dim float32 values, row-major over the grid, exactly as held in memory.</description></item>
/// <item><term>end</term><description>u64 XxHash64 (seed 0) of every byte before it.</description></item>
/// </list>
/// <para>The payload stays float32, so loaded features are bit-for-bit those that were saved and segment identically;
/// float16 would halve the file but change every similarity slightly. A 768-px DINOv3-L image is about 7 MiB.</para>
/// <para>Path overloads write atomically (<see cref="AtomicFile"/>) and dispose what they open; stream overloads leave the
/// caller's stream open. Thread-safe: no shared state.</para>
/// </remarks>
/// <remarks>Stateless and thread-safe; writes to one path from several threads at once end with one complete file.</remarks>
public static class FeatureFile
{
    /// <summary>The conventional file extension, ".dsf" (DinoSeg features).</summary>
    public const string Extension = ".dsf";

    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Largest payload accepted, in values (1 GiB of float32): a corrupt header must not trigger a huge allocation.</summary>
    public const long MaxValues = 1L << 28;

    private const int FixedHeaderLength = 46;
    private const int MaxNameBytes = 255;
    private const ushort PayloadFloat32 = 0;
    private const int ChunkBytes = 1 << 16;
    private static ReadOnlySpan<byte> Magic => [0x89, (byte)'D', (byte)'S', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    private const string RecreateFix = "delete the file and recreate it with FeatureFile.Save or 'dinoseg features'";

    /// <summary>Writes <paramref name="features"/> to <paramref name="path"/> atomically, replacing any file there.</summary>
    /// <exception cref="ArgumentException">The backbone name is longer than 255 UTF-8 bytes, or the path is empty.</exception>
    public static void Save(PatchFeatures features, string path)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] header = Header(features);
        AtomicFile.Write(path, stream => Write(features, header, stream));
    }

    /// <summary>Writes <paramref name="features"/> at the stream's position; the stream stays open.</summary>
    /// <exception cref="ArgumentException">The backbone name is longer than 255 UTF-8 bytes, or the stream is not writable.</exception>
    public static void Save(PatchFeatures features, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The stream must be writable.", nameof(stream));
        Write(features, Header(features), stream);
    }

    /// <summary>Reads a feature file and checks it against <paramref name="expect"/>.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="DinoSegFeatureFileException">
    /// Not a feature file, another format version, cut short, extra bytes after the end, checksum mismatch, or a backbone,
    /// dim or image size other than expected.
    /// </exception>
    public static PatchFeatures Load(string path, FeatureExpectations? expect = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"No feature file at '{path}'.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        string name = Path.GetFileName(path);
        PatchFeatures features = Read(stream, name, expect);
        if (stream.Position != stream.Length)
        {
            throw new DinoSegFeatureFileException("the file to end after its checksum",
                $"{stream.Length - stream.Position} more bytes in {name}", RecreateFix);
        }

        Check(features, expect, name);
        return features;
    }

    /// <summary>Reads one feature file from the stream's position (which ends just after it); the stream stays open.</summary>
    /// <exception cref="DinoSegFeatureFileException">As <see cref="Load(string, FeatureExpectations?)"/>, except trailing bytes are left unread.</exception>
    public static PatchFeatures Load(Stream stream, FeatureExpectations? expect = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stream must be readable.", nameof(stream));
        PatchFeatures features = Read(stream, "stream", expect);
        Check(features, expect, "stream");
        return features;
    }

    private static byte[] Header(PatchFeatures f)
    {
        byte[] name = Encoding.UTF8.GetBytes(f.Backbone);
        if (name.Length > MaxNameBytes)
        {
            throw new ArgumentException($"The backbone name must fit in {MaxNameBytes} UTF-8 bytes to be saved, found {name.Length}.", nameof(f));
        }

        var header = new byte[FixedHeaderLength + name.Length];
        Span<byte> h = header;
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt16LittleEndian(h[8..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h[10..], PayloadFloat32);
        ReadOnlySpan<int> fields = [f.Rows, f.Cols, f.Dim, f.PatchSize, f.WorkingWidth, f.WorkingHeight, f.ImageWidth, f.ImageHeight];
        for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(h[(12 + 4 * i)..], fields[i]);
        BinaryPrimitives.WriteUInt16LittleEndian(h[44..], (ushort)name.Length);
        name.CopyTo(h[FixedHeaderLength..]);
        return header;
    }

    private static void Write(PatchFeatures features, byte[] header, Stream stream)
    {
        var hash = new XxHash64();
        hash.Append(header);
        stream.Write(header);

        ReadOnlySpan<float> values = features.Vectors;
        if (BitConverter.IsLittleEndian)
        {
            ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values);
            for (int at = 0; at < bytes.Length; at += ChunkBytes)
            {
                ReadOnlySpan<byte> chunk = bytes.Slice(at, Math.Min(ChunkBytes, bytes.Length - at));
                hash.Append(chunk);
                stream.Write(chunk);
            }
        }
        else
        {
            var chunk = new byte[ChunkBytes];
            const int perChunk = ChunkBytes / sizeof(float);
            for (int at = 0; at < values.Length; at += perChunk)
            {
                int n = Math.Min(perChunk, values.Length - at);
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * 4), values[at + i]);
                hash.Append(chunk.AsSpan(0, n * 4));
                stream.Write(chunk, 0, n * 4);
            }
        }

        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, hash.GetCurrentHashAsUInt64());
        stream.Write(checksum);
    }

    private static PatchFeatures Read(Stream stream, string name, FeatureExpectations? expect)
    {
        var hash = new XxHash64();
        Span<byte> h = stackalloc byte[FixedHeaderLength];
        ReadAll(stream, h, name, "its header");
        if (!h[..8].SequenceEqual(Magic))
        {
            throw new DinoSegFeatureFileException("a DinoSeg feature file (magic 89 'DSF' 0D 0A 1A 0A)",
                $"{name} starting with {Convert.ToHexString(h[..8])}", "pass a file written by FeatureFile.Save or 'dinoseg features'");
        }

        int version = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        if (version != FormatVersion)
        {
            throw new DinoSegFeatureFileException($"feature file format version {FormatVersion}", $"version {version} in {name}",
                version > FormatVersion ? "update DinoSeg, or recreate the file with this version" : RecreateFix);
        }

        int payload = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        if (payload != PayloadFloat32) throw Corrupt(name, $"payload type {payload} (only 0, float32, exists)");

        Span<int> v = stackalloc int[8];
        for (int i = 0; i < v.Length; i++) v[i] = BinaryPrimitives.ReadInt32LittleEndian(h[(12 + 4 * i)..]);
        int rows = v[0], cols = v[1], dim = v[2], patch = v[3], workingWidth = v[4], workingHeight = v[5], imageWidth = v[6], imageHeight = v[7];
        foreach (int x in v)
        {
            if (x <= 0) throw Corrupt(name, $"a non-positive size in the header (rows {rows}, cols {cols}, dim {dim}, patch {patch}, image {imageWidth}x{imageHeight})");
        }

        if ((long)cols * patch != workingWidth || (long)rows * patch != workingHeight)
        {
            throw Corrupt(name, $"working size {workingWidth}x{workingHeight} that is not the grid {cols}x{rows} times patch {patch}");
        }

        long maxPixels = expect?.MaxImagePixels ?? ImageLimits.Default.MaxPixels;
        if ((long)imageWidth * imageHeight > maxPixels)
        {
            // Checked here: the first Segment would allocate several maps of this many floats.
            throw Corrupt(name, $"an image size of {imageWidth}x{imageHeight}, over the {maxPixels} pixels allowed (FeatureExpectations.MaxImagePixels)");
        }

        long count = (long)rows * cols * dim;
        if (count > MaxValues) throw Corrupt(name, $"{count} values ({rows}x{cols}x{dim}), more than the {MaxValues} allowed");

        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(h[44..]);
        if (nameLength > MaxNameBytes) throw Corrupt(name, $"a backbone name of {nameLength} bytes (at most {MaxNameBytes})");
        hash.Append(h);
        Span<byte> nameBytes = stackalloc byte[nameLength];
        ReadAll(stream, nameBytes, name, "its backbone name");
        hash.Append(nameBytes);
        string backbone = Encoding.UTF8.GetString(nameBytes);
        if (backbone.Any(char.IsControl)) throw Corrupt(name, "a backbone name with control characters (it would be printed as is)");

        var values = new float[count];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        ReadAll(stream, bytes, name, $"its {count} feature values");
        hash.Append(bytes);
        if (!BitConverter.IsLittleEndian)
        {
            Span<int> words = MemoryMarshal.Cast<float, int>(values.AsSpan());
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        Span<byte> stored = stackalloc byte[8];
        ReadAll(stream, stored, name, "its checksum");
        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(stored), actual = hash.GetCurrentHashAsUInt64();
        if (expected != actual)
        {
            throw new DinoSegFeatureFileException($"checksum {expected:x16} (XxHash64 stored in the file)",
                $"{actual:x16} computed over {name}: the file is corrupt", RecreateFix);
        }

        int bad = PatchFeatures.FirstNonFinite(values);
        if (bad >= 0) throw Corrupt(name, $"a non-finite value {values[bad]} at patch {bad / dim}");
        for (int p = 0; p < rows * cols; p++)
        {
            // Saved features are unit vectors (or zero, for a patch with nothing to say): the cosines rely on it.
            float norm = TensorPrimitives.Norm(values.AsSpan(p * dim, dim));
            if (norm != 0 && MathF.Abs(norm - 1) > 1e-3f) throw Corrupt(name, $"a vector of length {norm} at patch {p} (features are unit vectors)");
        }

        return PatchFeatures.Restore(values, rows, cols, dim, patch, imageWidth, imageHeight, backbone);
    }

    private static void Check(PatchFeatures f, FeatureExpectations? expect, string name)
    {
        if (expect is null) return;
        if (expect.Backbone is { } backbone && !string.Equals(backbone, f.Backbone, StringComparison.Ordinal))
        {
            throw new DinoSegFeatureFileException($"features from backbone '{backbone}'", $"'{f.Backbone}' in {name}",
                $"extract the features again with the '{backbone}' backbone (they cannot be mixed)");
        }

        if (expect.Dim is { } dim && dim != f.Dim)
        {
            throw new DinoSegFeatureFileException($"{dim}-dimensional features", $"{f.Dim} in {name}",
                "extract the features again with the same model (a different model size gives another dim)");
        }

        if (expect.ImageSize is var (width, height) && (width != f.ImageWidth || height != f.ImageHeight))
        {
            throw new DinoSegFeatureFileException($"features of a {width}x{height} image", $"{f.ImageWidth}x{f.ImageHeight} in {name}",
                "pass the feature file made from this image, or extract it again");
        }
    }

    private static void ReadAll(Stream stream, Span<byte> buffer, string name, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                throw new DinoSegFeatureFileException($"a complete feature file", $"{name} cut short while reading {what}", RecreateFix);
            }

            total += n;
        }
    }

    private static DinoSegFeatureFileException Corrupt(string name, string found) =>
        new("a valid feature file header", $"{found} in {name}", RecreateFix);
}
