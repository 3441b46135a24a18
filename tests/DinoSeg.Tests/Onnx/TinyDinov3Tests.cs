using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Onnx;

/// <summary>The ViT code path, on a random-weight DINOv3-shaped model (tools/fixtures/make_tiny_dinov3.py).</summary>
public sealed class TinyDinov3Tests
{
    private static readonly string ModelPath = TestPaths.Fixture("tiny-dinov3.onnx");

    public static TheoryData<int, int> Sizes => new() { { 64, 48 }, { 48, 80 }, { 32, 32 }, { 128, 64 } };

    /// <summary>The fixture's test image: byte (x·7 + y·13 + c·50) mod 256, the same formula the generator used.</summary>
    internal static Image<Rgb24> PatternImage(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)((x * 7 + y * 13) % 256), (byte)((x * 7 + y * 13 + 50) % 256), (byte)((x * 7 + y * 13 + 100) % 256));
            }
        }

        return image;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Extract_AtExactWorkingSize_MatchesTorchPatchTokensInOrder(int width, int height)
    {
        using var extractor = OnnxFeatureExtractor.Create(ModelPath, Backbone.Dinov3, new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = Math.Max(width, height) });
        using var image = PatternImage(width, height);

        PatchFeatures features = extractor.Extract(image);

        JsonElement expected = LoadCase(width, height);
        Assert.Equal(expected.GetProperty("rows").GetInt32(), features.Rows);
        Assert.Equal(expected.GetProperty("cols").GetInt32(), features.Cols);
        Assert.Equal(32, features.Dim);
        Assert.Equal((width, height), (features.WorkingWidth, features.WorkingHeight));
        float[] tokens = expected.GetProperty("patchTokens").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        for (int p = 0; p < features.PatchCount; p++)
        {
            Span<float> want = tokens.AsSpan(p * 32, 32);
            float norm = MathF.Sqrt(want.ToArray().Sum(v => v * v));
            ReadOnlySpan<float> got = features.GetPatch(p / features.Cols, p % features.Cols);
            for (int c = 0; c < 32; c++) Assert.True(MathF.Abs(got[c] - want[c] / norm) < 1e-4f, $"patch {p} channel {c}: {got[c]} vs {want[c] / norm}");
        }
    }

    [Fact]
    public void Extract_ResizesAnyAspect_GridFollowsLongSide()
    {
        using var extractor = OnnxFeatureExtractor.Create(ModelPath, Backbone.Dinov3, new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 160 });
        using var wide = PatternImage(301, 97);
        using var tall = PatternImage(50, 333);

        PatchFeatures w = extractor.Extract(wide);
        PatchFeatures t = extractor.Extract(tall);

        Assert.Equal((10, 3), (w.Cols, w.Rows)); // 160 x 51.6 → 160 x 48
        Assert.Equal((2, 10), (t.Cols, t.Rows)); // 24 x 160 → 32 x 160
        Assert.Equal((301, 97), (w.ImageWidth, w.ImageHeight));
    }

    [Fact]
    public void Extract_WrongRegisterCount_ThrowsModelExceptionNamingTheFix()
    {
        using var extractor = OnnxFeatureExtractor.Create(ModelPath, Backbone.Dinov3 with { RegisterTokens = 0 }, new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 64 });
        using var image = PatternImage(64, 48);

        var e = Assert.Throws<DinoSegModelException>(() => extractor.Extract(image));

        Assert.Contains("1 prefix tokens", e.Expected);
        Assert.Contains("5 tokens before the patches", e.Found);
        Assert.Contains("RegisterTokens = 4", e.Fix);
    }

    [Fact]
    public void Extract_WrongPatchSize_ThrowsModelExceptionNamingThePatchSize()
    {
        using var extractor = OnnxFeatureExtractor.Create(ModelPath, Backbone.Dinov2(registers: 4), new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 224 });
        using var image = PatternImage(224, 224);

        var e = Assert.Throws<DinoSegModelException>(() => extractor.Extract(image));

        Assert.Contains("patch size of 16", e.Found);
        Assert.Contains("PatchSize = 16", e.Fix);
    }

    private static JsonElement LoadCase(int width, int height)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("tiny-dinov3.expected.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("width").GetInt32() == width && c.GetProperty("height").GetInt32() == height).Clone();
    }
}
