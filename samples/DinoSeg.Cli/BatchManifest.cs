using System.Text.Json;

namespace DinoSeg.Cli;

/// <summary>One image of a batch: its file name, seeds, optional threshold, and where in the seeds file it was named.</summary>
internal sealed record BatchItem(string Image, IReadOnlyList<PixelPoint> Seeds, float? Threshold, string Where)
{
    /// <summary>The output folder's name (<see cref="ImageFolder.OutputStem"/>: never empty, hidden, '.' or '..').</summary>
    public string Stem => ImageFolder.OutputStem(Image);
}

/// <summary>
/// Reads the per-image seeds of <c>dinoseg batch</c>: CSV rows <c>image,x,y[,threshold]</c> (several rows per image = several
/// seeds; an optional header row starting with <c>image</c>; blank lines and <c>#</c> comments skipped), or a JSON array of
/// <c>{"image": "a.jpg", "seeds": [[x, y], …], "threshold": 0.3}</c>. Every problem is a usage error naming the line (CSV) or
/// entry (JSON).
/// </summary>
internal static class BatchManifest
{
    public static IReadOnlyList<BatchItem> Load(string path, string imageFolder)
    {
        if (!File.Exists(path)) throw new UsageException($"no seeds file at '{path}'");
        var byImage = new Dictionary<string, (List<PixelPoint> Seeds, float? Threshold, string Where)>(StringComparer.Ordinal);
        string name = Path.GetFileName(path);
        if (Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase)) ReadJson(path, name, byImage);
        else ReadCsv(path, name, byImage);
        if (byImage.Count == 0) throw new UsageException($"{name}: no images listed");

        var items = new List<BatchItem>(byImage.Count);
        foreach (var (image, (seeds, threshold, where)) in byImage)
        {
            if (!File.Exists(Path.Combine(imageFolder, image))) throw new UsageException($"{where}: no image '{image}' in {imageFolder}");
            items.Add(new BatchItem(image, seeds, threshold, where));
        }

        // Ordinal order by file name: the same on every machine, which --shard relies on.
        items.Sort((a, b) => string.CompareOrdinal(a.Image, b.Image));
        ImageFolder.CheckUniqueStems(items.Select(i => i.Image));
        return items;
    }

    private static void ReadCsv(string path, string name, Dictionary<string, (List<PixelPoint>, float?, string)> byImage)
    {
        int number = 0;
        bool first = true;
        foreach (string raw in File.ReadLines(path))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string where = $"{name} line {number}";
            string[] fields = [.. line.Split(',').Select(f => f.Trim())];
            if (first && fields[0].Equals("image", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue; // header row
            }

            first = false;
            if (fields.Length is < 3 or > 4) throw new UsageException($"{where}: expected image,x,y[,threshold], found {fields.Length} fields in '{line}'");
            if (CliOptions.ParsePoint($"{fields[1]},{fields[2]}") is not PixelPoint seed)
            {
                throw new UsageException($"{where}: x and y must be whole pixels, not '{fields[1]}' and '{fields[2]}'");
            }

            float? threshold = null;
            if (fields.Length == 4 && fields[3].Length > 0)
            {
                threshold = TryParseThreshold(fields[3], out float t) ? t
                    : throw new UsageException($"{where}: threshold must be a number in [-1, 1], not '{fields[3]}'");
            }

            Add(byImage, fields[0], seed, threshold, where);
        }
    }

    private static void ReadJson(string path, string name, Dictionary<string, (List<PixelPoint>, float?, string)> byImage)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UsageException($"{name} line {e.LineNumber + 1}: not valid JSON ({e.Message.Split('.')[0]})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new UsageException($"{name}: expected a JSON array of {{\"image\", \"seeds\", \"threshold\"}} objects");
            int index = 0;
            foreach (JsonElement entry in document.RootElement.EnumerateArray())
            {
                string where = $"{name} entry {index++}";
                if (entry.ValueKind != JsonValueKind.Object
                    || !entry.TryGetProperty("image", out JsonElement image) || image.ValueKind != JsonValueKind.String
                    || !entry.TryGetProperty("seeds", out JsonElement seeds) || seeds.ValueKind != JsonValueKind.Array || seeds.GetArrayLength() == 0)
                {
                    throw new UsageException($"{where}: expected {{\"image\": \"name.jpg\", \"seeds\": [[x, y], …]}}");
                }

                float? threshold = null;
                if (entry.TryGetProperty("threshold", out JsonElement t))
                {
                    threshold = t.ValueKind == JsonValueKind.Number && t.TryGetSingle(out float value) && value >= -1 && value <= 1 ? value
                        : throw new UsageException($"{where}: threshold must be a number in [-1, 1]");
                }

                foreach (JsonElement seed in seeds.EnumerateArray())
                {
                    if (seed.ValueKind != JsonValueKind.Array || seed.GetArrayLength() != 2
                        || !seed[0].TryGetInt32(out int x) || !seed[1].TryGetInt32(out int y))
                    {
                        throw new UsageException($"{where}: each seed must be [x, y] in whole pixels");
                    }

                    Add(byImage, image.GetString()!, new PixelPoint(x, y), threshold, where);
                }
            }
        }
    }

    private static void Add(Dictionary<string, (List<PixelPoint> Seeds, float? Threshold, string Where)> byImage, string image, PixelPoint seed, float? threshold, string where)
    {
        if (image.Length == 0 || image.Contains('/') || image.Contains('\\') || image is "." or "..")
        {
            throw new UsageException($"{where}: the image must be a file name inside the images folder, not '{image}'");
        }

        if (!ImageFolder.IsImage(image)) throw new UsageException($"{where}: '{image}' is not a {ImageDecoder.FormatNames} file name");
        if (!byImage.TryGetValue(image, out var entry))
        {
            byImage[image] = ([seed], threshold, where);
            return;
        }

        if (threshold is not null && entry.Threshold is not null && threshold != entry.Threshold)
        {
            throw new UsageException($"{where}: threshold {threshold} for '{image}' differs from {entry.Threshold} at {entry.Where}");
        }

        entry.Seeds.Add(seed);
        byImage[image] = (entry.Seeds, threshold ?? entry.Threshold, entry.Where);
    }

    /// <summary>A file's threshold: a number in [-1, 1]. Checked while reading, so a bad row stops the run before any work
    /// with the row named (the library would only see it at that image's click).</summary>
    private static bool TryParseThreshold(string text, out float threshold) =>
        float.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out threshold) && threshold >= -1 && threshold <= 1;
}
