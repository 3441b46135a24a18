using System.Text;
using System.Text.Json;

namespace DinoSeg.Masks;

/// <summary>
/// A binary mask as COCO run-length encoding: the lengths of alternating runs of off and on pixels in column-major order
/// (down the first column, then the next), starting with an off run that may be 0 long, as pycocotools' <c>mask.encode</c>
/// makes it. <see cref="ToCompressedString"/> gives the compact string form of COCO files; <see cref="ToJson"/> the
/// <c>{"size": [h, w], "counts": …}</c> object that COCO annotations, CVAT and Label Studio read.
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed class CocoRle
{
    private readonly int[] _counts;

    private CocoRle(int width, int height, int[] counts)
    {
        Width = width;
        Height = height;
        _counts = counts;
    }

    /// <summary>Mask width in pixels.</summary>
    public int Width { get; }

    /// <summary>Mask height in pixels.</summary>
    public int Height { get; }

    /// <summary>The run lengths: off, on, off, … in column-major order; they add up to width × height.</summary>
    public IReadOnlyList<int> Counts => _counts;

    /// <summary>Pixels on (the sum of the on runs): COCO's <c>area</c> of a mask annotation.</summary>
    public long Area
    {
        get
        {
            long area = 0;
            for (int i = 1; i < _counts.Length; i += 2) area += _counts[i];
            return area;
        }
    }

    /// <summary>Encodes a segmentation's <see cref="SegmentationResult.Mask"/>.</summary>
    public static CocoRle Encode(SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Encode(result.Mask, result.Width, result.Height);
    }

    /// <summary>Encodes a row-major mask (0 = off, anything else = on).</summary>
    /// <exception cref="ArgumentException">The mask length is not <paramref name="width"/> × <paramref name="height"/>.</exception>
    public static CocoRle Encode(ReadOnlySpan<byte> mask, int width, int height)
    {
        CheckSize(mask.Length, width, height, nameof(mask));
        var counts = new List<int>();
        bool value = false;
        int run = 0;
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++)
            {
                bool on = mask[y * width + x] != 0;
                if (on != value)
                {
                    counts.Add(run);
                    run = 0;
                    value = on;
                }

                run++;
            }
        }

        counts.Add(run);
        return new CocoRle(width, height, [.. counts]);
    }

    /// <summary>Makes an encoding from run lengths (as read from a COCO file's uncompressed <c>counts</c>).</summary>
    /// <exception cref="ArgumentException">A count is negative or they do not add up to width × height.</exception>
    public static CocoRle FromCounts(IEnumerable<int> counts, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(counts);
        CheckSize(null, width, height, nameof(width));
        int[] runs = [.. counts];
        long total = 0;
        foreach (int c in runs)
        {
            if (c < 0) throw new ArgumentException($"Expected run lengths of 0 or more, found {c}.", nameof(counts));
            total += c;
        }

        if (total != (long)width * height)
        {
            throw new ArgumentException($"Expected run lengths adding up to {width}x{height} = {(long)width * height}, found {total}.", nameof(counts));
        }

        return new CocoRle(width, height, runs);
    }

    /// <summary>Writes the mask row-major into <paramref name="mask"/>: 255 for on pixels, 0 for off.</summary>
    /// <exception cref="ArgumentException"><paramref name="mask"/> is not <see cref="Width"/> × <see cref="Height"/> long.</exception>
    public void Decode(Span<byte> mask)
    {
        CheckSize(mask.Length, Width, Height, nameof(mask));
        int index = 0; // column-major position
        for (int k = 0; k < _counts.Length; k++)
        {
            byte value = (k & 1) == 0 ? (byte)0 : (byte)255;
            for (int j = 0; j < _counts[k]; j++, index++)
            {
                int x = index / Height, y = index - x * Height;
                mask[y * Width + x] = value;
            }
        }
    }

    /// <summary>The mask row-major, 255 for on pixels, 0 for off.</summary>
    public byte[] Decode()
    {
        var mask = new byte[Width * Height];
        Decode(mask);
        return mask;
    }

    /// <summary>
    /// The compressed <c>counts</c> string of pycocotools (<c>maskApi.c</c>'s <c>rleToString</c>): each count from the fourth
    /// on is written as its difference to the count two before it, then every value in groups of 5 bits, least significant
    /// first, as characters 48 + bits (+ 32 when more groups follow), the last group's top bit being the sign.
    /// </summary>
    public string ToCompressedString()
    {
        var text = new StringBuilder(_counts.Length * 2);
        for (int i = 0; i < _counts.Length; i++)
        {
            long x = _counts[i];
            if (i > 2) x -= _counts[i - 2]; // pycocotools starts the differences at i > 2, not i ≥ 2
            bool more = true;
            while (more)
            {
                int c = (int)(x & 0x1f);
                x >>= 5; // arithmetic shift: a negative difference ends in −1
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                text.Append((char)(c + 48));
            }
        }

        return text.ToString();
    }

    /// <summary>Reads pycocotools' compressed <c>counts</c> string (<c>rleFrString</c>).</summary>
    /// <exception cref="FormatException">A character outside '0'..'o', a value cut off at the end, or counts that are negative or do not add up to width × height.</exception>
    public static CocoRle FromCompressedString(string counts, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(counts);
        CheckSize(null, width, height, nameof(width));
        var runs = new List<int>();
        int p = 0;
        long total = 0;
        while (p < counts.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= counts.Length) throw new FormatException($"The counts string ends inside a value (at character {p}): expected one more character.");
                int c = counts[p] - 48;
                if (c is < 0 or > 63) throw new FormatException($"Expected characters '0' to 'o' in a COCO counts string, found '{counts[p]}' at {p}.");
                if (k > 10) throw new FormatException($"A value of the counts string at {p} is longer than any 32-bit count.");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }

            if (runs.Count > 2) x += runs[^2];
            if (x is < 0 or > int.MaxValue) throw new FormatException($"Expected run lengths of 0 or more, found {x} (run {runs.Count}).");
            runs.Add((int)x);
            total += x;
        }

        if (total != (long)width * height)
        {
            throw new FormatException($"Expected run lengths adding up to {width}x{height} = {(long)width * height}, found {total}.");
        }

        return new CocoRle(width, height, [.. runs]);
    }

    /// <summary>
    /// The RLE object of a COCO annotation's <c>segmentation</c>: <c>{"size":[height,width],"counts":…}</c>, with the counts
    /// as the compressed string (<paramref name="compressed"/>, what pycocotools writes) or as a list of numbers.
    /// </summary>
    public string ToJson(bool compressed = true)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) WriteJson(json, compressed);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes <see cref="ToJson"/>'s object into a JSON writer (inside a COCO document, say).</summary>
    public void WriteJson(Utf8JsonWriter json, bool compressed = true)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartObject();
        json.WriteStartArray("size");
        json.WriteNumberValue(Height);
        json.WriteNumberValue(Width);
        json.WriteEndArray();
        if (compressed)
        {
            json.WriteString("counts", ToCompressedString());
        }
        else
        {
            json.WriteStartArray("counts");
            foreach (int c in _counts) json.WriteNumberValue(c);
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// A COCO instances document with one image, one category and this mask as its one annotation (compressed RLE
    /// <c>segmentation</c>, <c>area</c>, <c>bbox</c>, <c>iscrowd</c> 0): a file that pycocotools, CVAT's and Label Studio's
    /// COCO importers read.
    /// </summary>
    /// <param name="imageFileName">The image's <c>file_name</c>.</param>
    /// <param name="category">The category name.</param>
    public string ToCocoDocument(string imageFileName, string category = "object")
    {
        ArgumentNullException.ThrowIfNull(imageFileName);
        ArgumentNullException.ThrowIfNull(category);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("images");
            json.WriteStartObject();
            json.WriteNumber("id", 1);
            json.WriteString("file_name", imageFileName);
            json.WriteNumber("width", Width);
            json.WriteNumber("height", Height);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("categories");
            json.WriteStartObject();
            json.WriteNumber("id", 1);
            json.WriteString("name", category);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("annotations");
            json.WriteStartObject();
            json.WriteNumber("id", 1);
            json.WriteNumber("image_id", 1);
            json.WriteNumber("category_id", 1);
            json.WritePropertyName("segmentation");
            WriteJson(json, compressed: true);
            json.WriteNumber("area", Area);
            (int bx, int by, int bw, int bh) = BoundingBox();
            json.WriteStartArray("bbox");
            json.WriteNumberValue(bx);
            json.WriteNumberValue(by);
            json.WriteNumberValue(bw);
            json.WriteNumberValue(bh);
            json.WriteEndArray();
            json.WriteNumber("iscrowd", 0);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// The bounding box of the on pixels as COCO's <c>bbox</c>: x, y, width, height in pixels ([0, 0, 0, 0] for an empty mask).
    /// </summary>
    public (int X, int Y, int Width, int Height) BoundingBox()
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1, index = 0;
        for (int k = 0; k < _counts.Length; k++)
        {
            if ((k & 1) == 1 && _counts[k] > 0)
            {
                int first = index, last = index + _counts[k] - 1;
                int fx = first / Height, lx = last / Height;
                x0 = Math.Min(x0, fx);
                x1 = Math.Max(x1, lx);
                // A run that wraps into the next column covers every row between.
                if (lx > fx)
                {
                    y0 = 0;
                    y1 = Height - 1;
                }
                else
                {
                    y0 = Math.Min(y0, first - fx * Height);
                    y1 = Math.Max(y1, last - fx * Height);
                }
            }

            index += _counts[k];
        }

        return x1 < 0 ? (0, 0, 0, 0) : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    private static void CheckSize(int? length, int width, int height, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(width), $"A {width}x{height} mask is larger than 2^31 pixels.");
        if (length is { } n && n != width * height) throw new ArgumentException($"Expected a mask of {width}x{height} = {width * height} bytes, found {n}.", name);
    }
}
