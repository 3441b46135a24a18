using System.Diagnostics;
using System.Text.Json;
using DinoSeg.Tests.Reliability;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace DinoSeg.Web.Tests;

/// <summary>
/// The decoder fuzz (tests/DinoSeg.Tests/Reliability/DecoderFuzzTests) through the web upload path: header check, decode,
/// extraction, over HTTP. 5.4 % of fuzzed uploads used to answer 500 with a logged stack trace (issue #18); now every
/// refusal is a 4xx with a JSON error and the security headers. Seeded per iteration, so a failure replays.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class UploadFuzzTests(WebFixture web, ITestOutputHelper output)
{
    private const int Iterations = 400;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Upload_MutatedImages_NeverAnswer500()
    {
        (string Name, byte[] Bytes)[] corpus = Corpus();
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        int done = 0;
        for (int i = 0; i < Iterations && clock.Elapsed < Budget; i++, done++)
        {
            var random = new Random(20261202 + i * 7919);
            var (name, bytes) = corpus[random.Next(corpus.Length)];
            Mutation[] kinds = Path.GetExtension(name) switch { ".png" => ImageMutator.Png, ".jpg" => ImageMutator.Jpeg, _ => ImageMutator.Generic };
            Mutation mutation = kinds[random.Next(kinds.Length)];
            byte[] mutated = ImageMutator.Apply(bytes, mutation, random);
            using var content = new ByteArrayContent(mutated);
            content.Headers.Add("X-File-Name", name);

            using HttpResponseMessage response = await web.Http.PostAsync("/api/images", content);

            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            string text = await response.Content.ReadAsStringAsync();
            if (status >= 500) failures.Add($"iteration {i} ({mutation} of {name}): {status} {text}");
            else if (!response.IsSuccessStatusCode && !IsJsonError(text)) failures.Add($"iteration {i} ({mutation} of {name}): {status} without a JSON error: {text}");
            if (!response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff) || nosniff.Single() != "nosniff")
            {
                failures.Add($"iteration {i}: {status} without nosniff");
            }
        }

        output.WriteLine($"{done} uploads in {clock.Elapsed.TotalSeconds:0.0} s: " + string.Join(", ", statuses.Select(s => $"{s.Key} × {s.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
        Assert.True(done >= 50, $"only {done} uploads ran within {Budget.TotalSeconds} s");
    }

    private static bool IsJsonError(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Small files in every accepted format, and small versions of the bombs (many frames, pages, text).</summary>
    private static (string Name, byte[] Bytes)[] Corpus()
    {
        using var chelsea = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        using var cat = chelsea.Clone(c => c.Resize(48, 32));
        return
        [
            ("cat.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Rgb })),
            ("cat-adam7.png", Encode(cat, new PngEncoder { ColorType = PngColorType.Rgb, InterlaceMethod = PngInterlaceMode.Adam7 })),
            ("cat.jpg", Encode(cat, new JpegEncoder { Quality = 80 })),
            ("cat.gif", Encode(cat, new SixLabors.ImageSharp.Formats.Gif.GifEncoder())),
            ("cat.bmp", Encode(cat, new SixLabors.ImageSharp.Formats.Bmp.BmpEncoder())),
            ("cat.tiff", Encode(cat, new SixLabors.ImageSharp.Formats.Tiff.TiffEncoder())),
            ("cat.webp", Encode(cat, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless })),
            ("cat.tga", Encode(cat, new SixLabors.ImageSharp.Formats.Tga.TgaEncoder())),
            ("frames.gif", HostileFiles.GifManyFrames(64, 6)),
            ("pages.tiff", HostileFiles.TiffPages((40, 30), (64, 64), (40, 30))),
            ("text.png", HostileFiles.PngTextBomb(2, 1 << 16)),
        ];
    }

    private static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
