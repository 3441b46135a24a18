using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DinoSeg.Tests.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>The JSON/PNG API over plain HTTP against the real server.</summary>
[Collection(WebCollection.Name)]
public sealed class ApiTests(WebFixture web)
{
    private HttpClient Http => web.Http;

    [Fact]
    public void Server_InTests_ListensOnLoopbackOnly()
    {
        Assert.Equal("127.0.0.1", web.BaseAddress.Host);
        Assert.NotEqual(0, web.BaseAddress.Port);
    }

    [Fact]
    public async Task Info_DescribesBackboneDefaultsLimitsAndColours()
    {
        using JsonDocument info = await GetJsonAsync("/api/info");
        JsonElement root = info.RootElement;

        Assert.Equal("resnet18-s16", root.GetProperty("backbone").GetString());
        Assert.Equal(GraphOptions.DefaultThreshold, root.GetProperty("defaultThreshold").GetDouble(), 6); // ranked maps by default
        Assert.True(root.GetProperty("negativeSeeds").GetBoolean());
        Assert.True(root.GetProperty("boxPrompt").GetBoolean());
        Assert.Equal(0.1, root.GetProperty("boxMargin").GetDouble(), 6);
        Assert.Equal("[0,255,255]", root.GetProperty("negativeSeedColor").GetRawText());
        Assert.Equal(WebFixture.Options.MaxUploadBytes, root.GetProperty("maxUploadBytes").GetInt64());
        Assert.Equal(768, root.GetProperty("viridis").GetArrayLength());
        Assert.Equal(3 * 202, root.GetProperty("levelColours").GetArrayLength());
        Assert.Equal(["astronaut.jpg", "chelsea.png", "coffee.png", "rocket.jpg"], root.GetProperty("samples").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Page_IsServedAtTheRootWithItsScriptAndStyles()
    {
        string html = await Http.GetStringAsync("/");
        Assert.Contains("<canvas id=\"mask\"", html);
        using HttpResponseMessage js = await Http.GetAsync("/app.js");
        Assert.Equal("text/javascript", js.Content.Headers.ContentType?.MediaType);
        using HttpResponseMessage css = await Http.GetAsync("/app.css");
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
    }

    [Fact]
    public async Task Page_LinksItsFavicon_AndBothIconAddressesAreServed()
    {
        string html = await Http.GetStringAsync("/");
        Assert.Contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">", html);
        foreach (string path in (string[])["/favicon.svg", "/favicon.ico"]) // the second is what browsers try unasked
        {
            using HttpResponseMessage icon = await Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
            Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("<svg", await icon.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ApiReplies_WithUserImagesOrResults_AreNeverCached()
    {
        string id = await OpenSampleAsync("chelsea.png");
        string[] gets = [$"/api/images/{id}/image.png", $"/api/images/{id}/views/overlay.png?seeds=172,115", $"/api/images/{id}", "/api/images/nope"];
        foreach (string path in gets)
        {
            using HttpResponseMessage response = await Http.GetAsync(path);
            Assert.True(response.Headers.CacheControl?.NoStore == true, $"{path} ({(int)response.StatusCode}): Cache-Control {response.Headers.CacheControl}");
        }

        using HttpResponseMessage click = await Http.PostAsJsonAsync($"/api/images/{id}/segment", new { session = "cache", seeds = new[] { new[] { 172, 115 } } });
        Assert.True(click.Headers.CacheControl?.NoStore == true, $"segment: Cache-Control {click.Headers.CacheControl}");
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheRoutesTheirBodiesAndTheirProblems()
    {
        using JsonDocument doc = await ReadJsonAsync(await Http.GetAsync("/openapi/v1.json"), HttpStatusCode.OK);
        JsonElement paths = doc.RootElement.GetProperty("paths");

        string[] routes = [.. paths.EnumerateObject().Select(p => p.Name)];
        Assert.Contains("/api/images/{id}/segment", routes);
        Assert.Contains("/api/images/{id}/views/{view}.png", routes);
        JsonElement mask = paths.GetProperty("/api/images/{id}/mask").GetProperty("post");
        Assert.True(mask.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/octet-stream", out _));
        Assert.True(mask.GetProperty("responses").GetProperty("409").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.Contains("mask", mask.GetProperty("summary").GetString());
        Assert.DoesNotContain("/app.js", routes); // the page's files are not the API
        JsonElement segment = paths.GetProperty("/api/images/{id}/segment").GetProperty("post");
        Assert.Equal("#/components/schemas/ClickRequest",
            segment.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/SegmentInfo",
            segment.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(segment.GetProperty("responses").GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        JsonElement click = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("ClickRequest");
        string[] members = [.. click.GetProperty("properties").EnumerateObject().Select(p => p.Name)];
        Assert.Equal(["session", "seeds", "negative", "box", "keepSeedRegions", "minArea", "threshold", "refine"], members);
        Assert.False(click.TryGetProperty("required", out JsonElement required) && required.GetArrayLength() > 0, "every click member is optional");
        JsonElement upload = paths.GetProperty("/api/images").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(upload.TryGetProperty("application/octet-stream", out _) && upload.TryGetProperty("multipart/form-data", out _));
    }

    [Fact]
    public async Task OpenSample_Twice_ExtractsOnceThenHitsTheCache()
    {
        // A sample the other tests do not open, so the first call here is the extraction.
        using JsonDocument first = await PostJsonAsync("/api/samples/astronaut.jpg", null);
        using JsonDocument second = await PostJsonAsync("/api/samples/astronaut.jpg", null);

        Assert.Equal(first.RootElement.GetProperty("id").GetString(), second.RootElement.GetProperty("id").GetString());
        Assert.True(second.RootElement.GetProperty("cached").GetBoolean());
        Assert.Equal(512, first.RootElement.GetProperty("width").GetInt32());
        Assert.Equal(32, first.RootElement.GetProperty("cols").GetInt32());
    }

    [Fact]
    public async Task Upload_SameBytesAsSample_IsTheSameCachedImage()
    {
        string sample = await OpenSampleAsync("chelsea.png");
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(TestPaths.Image("chelsea.png")));
        content.Headers.Add("X-File-Name", "my%20cat.png");
        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        using JsonDocument body = await ReadJsonAsync(response, HttpStatusCode.OK);
        Assert.Equal(sample, body.RootElement.GetProperty("id").GetString());
        Assert.True(body.RootElement.GetProperty("cached").GetBoolean());
    }

    [Fact]
    public async Task Segment_CatEye_SelectsBothEyesAndReportsPatch()
    {
        string id = await OpenSampleAsync("chelsea.png");

        using JsonDocument result = await PostJsonAsync($"/api/images/{id}/segment", new { session = "api-eye", seeds = new[] { new[] { 172, 115 } }, threshold = 0.45 });

        JsonElement root = result.RootElement;
        Assert.Equal(0.45, root.GetProperty("threshold").GetDouble(), 6);
        Assert.InRange(root.GetProperty("areaFraction").GetDouble(), 0.005, 0.2);
        JsonElement seed = root.GetProperty("seeds")[0];
        int[] patch = [.. seed.GetProperty("patch").EnumerateArray().Select(e => e.GetInt32())];
        Assert.InRange(172, patch[0], patch[2] - 1);
        Assert.InRange(115, patch[1], patch[3] - 1);

        using Image<L8> mask = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&threshold=0.45");
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(255, mask[318, 137].PackedValue); // the other eye
    }

    [Fact]
    public async Task Threshold_Raised_ShrinksTheSessionsMaskWithoutANewClick()
    {
        string id = await OpenSampleAsync("coffee.png");
        using JsonDocument click = await PostJsonAsync($"/api/images/{id}/segment", new { session = "api-slider", seeds = new[] { new[] { 290, 150 } }, threshold = 0.1 });

        int previous = click.RootElement.GetProperty("selectedPixels").GetInt32();
        foreach (double t in new[] { 0.2, 0.3, 0.45 })
        {
            using JsonDocument moved = await PostJsonAsync($"/api/images/{id}/threshold", new { session = "api-slider", threshold = t });
            int selected = moved.RootElement.GetProperty("selectedPixels").GetInt32();
            Assert.True(selected < previous, $"t={t}: {selected} px, expected fewer than {previous}");
            Assert.Equal(290, moved.RootElement.GetProperty("seeds")[0].GetProperty("x").GetInt32());
            previous = selected;
        }

        Assert.True(previous > 0);
    }

    [Fact]
    public async Task Segment_NegativeOnTheOtherEye_RemovesIt_InTheClickAndInTheViews()
    {
        string id = await OpenSampleAsync("chelsea.png");

        using JsonDocument result = await PostJsonAsync($"/api/images/{id}/segment",
            new { session = "api-negative", seeds = new[] { new[] { 172, 115 } }, negative = new[] { new[] { 318, 137 } }, threshold = 0.45 });
        using JsonDocument plain = await PostJsonAsync($"/api/images/{id}/segment",
            new { session = "api-negative-plain", seeds = new[] { new[] { 172, 115 } }, threshold = 0.45 });

        JsonElement root = result.RootElement;
        Assert.Equal(318, root.GetProperty("negatives")[0].GetProperty("x").GetInt32());
        Assert.True(root.GetProperty("selectedPixels").GetInt32() < plain.RootElement.GetProperty("selectedPixels").GetInt32());
        using Image<L8> mask = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&negatives=318,137&threshold=0.45");
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(0, mask[318, 137].PackedValue);
        Assert.Equal(root.GetProperty("selectedPixels").GetInt32(), CountOn(mask));
    }

    [Fact]
    public async Task Segment_Box_StaysWithinItsLimit_AndTheViewAgrees()
    {
        string id = await OpenSampleAsync("coffee.png");

        using JsonDocument result = await PostJsonAsync($"/api/images/{id}/segment", new { session = "api-box", box = new[] { 205, 95, 370, 195 } });

        JsonElement root = result.RootElement;
        Assert.Equal("[205,95,370,195]", root.GetProperty("box").GetRawText());
        Assert.Equal("[188,85,387,205]", root.GetProperty("boxLimit").GetRawText());
        Assert.Equal(0, root.GetProperty("seeds").GetArrayLength());
        using Image<L8> mask = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?box=205,95,370,195");
        Assert.Equal(root.GetProperty("selectedPixels").GetInt32(), CountOn(mask));
        Assert.Equal(255, mask[290, 150].PackedValue);
        Assert.Equal(0, mask[150, 150].PackedValue);
        using JsonDocument moved = await PostJsonAsync($"/api/images/{id}/threshold", new { session = "api-box", threshold = 0.7 });
        Assert.True(moved.RootElement.GetProperty("selectedPixels").GetInt32() < root.GetProperty("selectedPixels").GetInt32());
    }

    [Fact]
    public async Task RegionOptions_ApplyToTheClickTheThresholdAndTheViews()
    {
        string id = await OpenSampleAsync("chelsea.png");
        var click = new { session = "api-regions", seeds = new[] { new[] { 172, 115 } }, keepSeedRegions = true, minArea = 20, threshold = 0.45 };

        using JsonDocument kept = await PostJsonAsync($"/api/images/{id}/segment", click);
        using JsonDocument moved = await PostJsonAsync($"/api/images/{id}/threshold", new { session = "api-regions", threshold = 0.35 });

        Assert.True(kept.RootElement.GetProperty("keepSeedRegions").GetBoolean());
        Assert.Equal(20, kept.RootElement.GetProperty("minArea").GetInt32());
        using Image<L8> at045 = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&keepSeedRegions=true&minArea=20&threshold=0.45");
        using Image<L8> at035 = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&keepSeedRegions=true&minArea=20&threshold=0.35");
        Assert.Equal(kept.RootElement.GetProperty("selectedPixels").GetInt32(), CountOn(at045));
        Assert.Equal(moved.RootElement.GetProperty("selectedPixels").GetInt32(), CountOn(at035));
        Assert.Equal(0, at045[318, 137].PackedValue); // the other eye is its own region
    }

    [Fact]
    public async Task Refine_Guided_ClickMapThresholdAndViews_AllUseTheLibrarysGuidedFilter()
    {
        // A server started with DinoSeg:Refine=guided: the filter changes the map, so the page's levels carry it.
        HttpClient http = (await web.RefineServerAsync("guided")).Http;
        string id = await OpenSampleAsync("chelsea.png", http);
        using JsonDocument info = await GetJsonAsync("/api/info", http);
        Assert.True(info.RootElement.GetProperty("refinement").GetBoolean());
        Assert.Equal(SegmentationOptions.Default.RefineRadius, info.RootElement.GetProperty("refineRadius").GetInt32());
        Assert.Equal(0, info.RootElement.GetProperty("scales").GetArrayLength());
        Assert.Equal("graph", info.RootElement.GetProperty("propagation").GetString()); // the library's default
        Assert.Equal("guided", info.RootElement.GetProperty("refineMethod").GetString());

        var click = new { session = "api-refine", seeds = new[] { new[] { 172, 115 } }, threshold = 0.45, refine = true };
        using JsonDocument refined = await PostJsonAsync($"/api/images/{id}/segment", click, http);
        using JsonDocument moved = await PostJsonAsync($"/api/images/{id}/threshold", new { session = "api-refine", threshold = 0.55 }, http);
        using HttpResponseMessage response = await http.PostAsJsonAsync($"/api/images/{id}/similarity-map", click);
        byte[] levels = await response.Content.ReadAsByteArrayAsync();
        using HttpResponseMessage plainResponse = await http.PostAsJsonAsync($"/api/images/{id}/similarity-map", click with { refine = false });
        byte[] plainLevels = await plainResponse.Content.ReadAsByteArrayAsync();
        using Image<L8> view = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&threshold=0.45&refine=true", http);

        // The library on the same image: guide from the decoded pixels, default refinement settings.
        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        PatchFeatures features = dino.Extract(image);
        var segmenter = new SimilaritySegmenter(SegmentationOptions.Default with { Refinement = Refinement.GuidedFilter });
        var result = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(image) };
        segmenter.Segment(features, new SegmentationPrompt([new PixelPoint(172, 115)]), 0.45f, result);
        int at045 = result.SelectedPixels;
        segmenter.Rethreshold(result, 0.55f);

        Assert.True(refined.RootElement.GetProperty("refine").GetBoolean());
        Assert.Equal(at045, refined.RootElement.GetProperty("selectedPixels").GetInt32());
        Assert.Equal(result.SelectedPixels, moved.RootElement.GetProperty("selectedPixels").GetInt32());
        Assert.Equal(at045, CountOn(view));
        Assert.Equal(at045, levels.Count(level => level > 145)); // the slider's 0.45 on the refined map
        Assert.Equal(451 * 300, levels.Length); // the levels alone: no mask follows a map refinement
        Assert.False(response.Headers.Contains("X-DinoSeg-Refined-Mask"));
        Assert.NotEqual(plainLevels, levels);
    }

    /// <summary>The library's click at 0.45 and slider move to 0.55 with <paramref name="refinement"/>, as the page's server segments them.</summary>
    private static (byte[] At045, byte[] At055) LibraryMasks(Refinement refinement)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        PatchFeatures features = EmbeddedBackbone.Segmenter.Extract(image);
        var segmenter = new SimilaritySegmenter(PageDefaults.Unrefined with { Refinement = refinement });
        var result = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(image) };
        segmenter.Segment(features, new SegmentationPrompt(new PixelPoint(172, 115)), 0.45f, result);
        byte[] at045 = result.Mask.ToArray();
        segmenter.Rethreshold(result, 0.55f);
        return (at045, result.Mask.ToArray());
    }

    [Theory]
    [InlineData("crf")] // the default: the fixture's main server
    [InlineData("grabcut")]
    public async Task Mask_OnAMaskRefinedClick_IsTheLibrarysRethresholdedRefinedMask(string refine)
    {
        HttpClient http = refine == "crf" ? Http : (await web.RefineServerAsync(refine)).Http;
        string id = await OpenSampleAsync("chelsea.png", http);
        using JsonDocument info = await GetJsonAsync("/api/info", http);
        Assert.Equal(refine, info.RootElement.GetProperty("refineMethod").GetString());
        int n = 451 * 300;
        string session = $"api-mask-{refine}";

        // The click: the levels, then the refined mask, which no threshold of the levels gives.
        using HttpResponseMessage clicked = await http.PostAsJsonAsync($"/api/images/{id}/similarity-map",
            new { session, seeds = new[] { new[] { 172, 115 } }, threshold = 0.45, refine = true });
        Assert.Equal(HttpStatusCode.OK, clicked.StatusCode);
        Assert.Equal("true", clicked.Headers.GetValues("X-DinoSeg-Refined-Mask").Single());
        Assert.Equal("0.45", clicked.Headers.GetValues("X-DinoSeg-Threshold").Single());
        byte[] body = await clicked.Content.ReadAsByteArrayAsync();
        Assert.Equal(2 * n, body.Length);
        byte[] levels = body[..n], clickMask = body[n..];

        // A slider move: the session's click re-thresholded, its refinement run again.
        using HttpResponseMessage moved = await http.PostAsJsonAsync($"/api/images/{id}/mask", new { session, threshold = 0.55 });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("application/octet-stream", moved.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.55", moved.Headers.GetValues("X-DinoSeg-Threshold").Single());
        Assert.Contains("rethreshold;dur=", moved.Headers.GetValues("Server-Timing").Single());
        byte[] movedMask = await moved.Content.ReadAsByteArrayAsync();

        var (at045, at055) = LibraryMasks(refine == "crf" ? Refinement.DenseCrf : Refinement.GrabCut);
        Assert.Equal(at045, clickMask);
        Assert.Equal(at055, movedMask);
        int selected = movedMask.Count(v => v != 0);
        Assert.Equal(selected, int.Parse(moved.Headers.GetValues("X-DinoSeg-Selected-Pixels").Single(), CultureInfo.InvariantCulture));
        // Not what the page would threshold from the levels: the refinement moved the edges.
        Assert.NotEqual(levels.Count(level => level > 155), selected);
        Assert.NotEqual(at045.Count(v => v != 0), selected);

        // The stateless view with refine=true agrees with the session's mask.
        using Image<L8> view = await GetImageAsync<L8>($"/api/images/{id}/views/mask.png?seeds=172,115&threshold=0.55&refine=true", http);
        Assert.Equal(selected, CountOn(view));
    }

    [Fact]
    public async Task Mask_Refused_WithoutAClick_OutOfRange_OrOnAnUnknownImage()
    {
        string id = await OpenSampleAsync("coffee.png");
        using (HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/mask", new { session = "never-clicked-mask", threshold = 0.3 }))
        {
            await AssertErrorAsync(response, HttpStatusCode.Conflict, "no click");
        }

        using (await PostJsonAsync($"/api/images/{id}/segment", new { session = "api-mask-errors", seeds = new[] { new[] { 290, 150 } }, refine = true }))
        {
        }

        using (HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/mask", new { session = "api-mask-errors", threshold = 1.5 }))
        {
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "[-1, 1]");
        }

        using (HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/mask", new { session = "api-mask-errors" }))
        {
            await AssertErrorAsync(response, HttpStatusCode.BadRequest, "threshold");
        }

        using (HttpResponseMessage response = await Http.PostAsJsonAsync("/api/images/0123456789abcdef0123456789abcdef/mask", new { session = "api-mask-errors", threshold = 0.3 }))
        {
            await AssertErrorAsync(response, HttpStatusCode.NotFound, "open it again");
        }

        using HttpResponseMessage ok = await Http.PostAsJsonAsync($"/api/images/{id}/mask", new { session = "api-mask-errors", threshold = 0.3 });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static int CountOn(Image<L8> mask)
    {
        int count = 0;
        for (int y = 0; y < mask.Height; y++)
        {
            for (int x = 0; x < mask.Width; x++) count += mask[x, y].PackedValue > 127 ? 1 : 0;
        }

        return count;
    }

    [Fact]
    public async Task Threshold_SessionWithoutClick_IsAConflict()
    {
        string id = await OpenSampleAsync("coffee.png");

        using HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/threshold", new { session = "never-clicked", threshold = 0.3 });

        await AssertErrorAsync(response, HttpStatusCode.Conflict, "no click");
    }

    [Fact]
    public async Task SimilarityMap_ReportsTheLibrarysDefaultRuleThresholdForAutoMode()
    {
        string id = await OpenSampleAsync("chelsea.png");
        using HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/similarity-map",
            new { session = "api-auto", seeds = new[] { new[] { 172, 115 } }, threshold = 0.2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        float reported = float.Parse(response.Headers.GetValues("X-DinoSeg-Auto-Threshold").Single(), CultureInfo.InvariantCulture);

        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        var segmenter = new SimilaritySegmenter(PageDefaults.Unrefined);
        PatchFeatures features = dino.Extract(Path.Combine(AppContext.BaseDirectory, "Images", "chelsea.png"));
        var result = new SegmentationResult(features);
        segmenter.SegmentAuto(features, new SegmentationPrompt([new PixelPoint(172, 115)]), SegmentationOptions.Default.ThresholdRule, result);
        Assert.Equal(result.Threshold, reported);
    }

    [Fact]
    public async Task SimilarityMap_RefinedOneSeedClick_SendsTheRulesThresholdWhenAutomatic_AndNoneWhenSetByHand()
    {
        // The default rule takes the stable ladder for one seed refined by the CRF: free after an automatic click (its own
        // threshold), ten more CRF runs after a hand-set one, so that reply leaves the header out.
        string id = await OpenSampleAsync("chelsea.png");
        int[][] seeds = [[172, 115]];
        using HttpResponseMessage byHand = await Http.PostAsJsonAsync($"/api/images/{id}/similarity-map",
            new { session = "api-auto-ladder", seeds, threshold = 0.2, refine = true });
        using HttpResponseMessage automatic = await Http.PostAsJsonAsync($"/api/images/{id}/similarity-map",
            new { session = "api-auto-ladder", seeds, refine = true });
        Assert.Equal(HttpStatusCode.OK, byHand.StatusCode);
        Assert.Equal(HttpStatusCode.OK, automatic.StatusCode);

        Assert.False(byHand.Headers.Contains("X-DinoSeg-Auto-Threshold"));
        string reported = automatic.Headers.GetValues("X-DinoSeg-Auto-Threshold").Single();
        Assert.Equal(automatic.Headers.GetValues("X-DinoSeg-Threshold").Single(), reported);
    }

    [Fact]
    public async Task Segment_WithoutAThreshold_UsesTheLibrarysRule_AndAViewTakesThresholdAuto()
    {
        string id = await OpenSampleAsync("chelsea.png");
        using HttpResponseMessage click = await Http.PostAsJsonAsync($"/api/images/{id}/segment",
            new { session = "api-no-threshold", seeds = new[] { new[] { 172, 115 } } });
        Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        using var info = JsonDocument.Parse(await click.Content.ReadAsStringAsync());

        DinoSegmenter dino = EmbeddedBackbone.Segmenter;
        PatchFeatures features = dino.Extract(Path.Combine(AppContext.BaseDirectory, "Images", "chelsea.png"));
        SegmentationResult expected = new SimilaritySegmenter(PageDefaults.Unrefined).Segment(features, new PixelPoint(172, 115));
        Assert.Equal(expected.Threshold, info.RootElement.GetProperty("threshold").GetSingle());
        Assert.Equal(expected.SelectedPixels, info.RootElement.GetProperty("selectedPixels").GetInt32());

        using HttpResponseMessage view = await Http.GetAsync($"/api/images/{id}/views/mask.png?seeds=172,115&threshold=auto");
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        using var mask = Image.Load<L8>(await view.Content.ReadAsByteArrayAsync());
        int selected = 0;
        mask.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++) foreach (L8 p in rows.GetRowSpan(y)) selected += p.PackedValue == 255 ? 1 : 0;
        });
        Assert.Equal(expected.SelectedPixels, selected);

        using HttpResponseMessage bad = await Http.GetAsync($"/api/images/{id}/views/mask.png?seeds=172,115&threshold=high");
        await AssertErrorAsync(bad, HttpStatusCode.BadRequest, "\"auto\"");
    }

    [Fact]
    public async Task SimilarityMap_LevelsGiveTheLibrarysMaskAtSliderThresholds()
    {
        string id = await OpenSampleAsync("chelsea.png");
        using HttpResponseMessage response = await Http.PostAsJsonAsync($"/api/images/{id}/similarity-map",
            new { session = "api-map", seeds = new[] { new[] { 172, 115 }, new[] { 100, 200 } }, threshold = 0.2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        byte[] map = await response.Content.ReadAsByteArrayAsync();
        Assert.Empty(response.Content.Headers.ContentEncoding); // this client did not ask for gzip
        int n = 451 * 300;
        Assert.Equal(n, map.Length);
        Assert.Contains("segment;dur=", response.Headers.GetValues("Server-Timing").Single());
        using JsonDocument seeds = JsonDocument.Parse(response.Headers.GetValues("X-DinoSeg-Seeds").Single());
        Assert.Equal(2, seeds.RootElement.GetArrayLength());

        // The page's rule (level > k) against the library's own count, through the threshold-only API.
        foreach (int k in new[] { 0, 60, 100, 115, 120, 121, 140, 170, 200 })
        {
            float t = SimilarityMap.Thresholds[k];
            using JsonDocument moved = await PostJsonAsync($"/api/images/{id}/threshold", new { session = "api-map", threshold = t });
            int expected = moved.RootElement.GetProperty("selectedPixels").GetInt32();
            int page = map.Count(level => level > k);
            Assert.Equal(expected, page);
        }

        Assert.True(map[115 * 451 + 172] > 120, "the clicked eye is in the mask at 0.2 (slider index 120)");

        // Loopback: raw bytes even when the client accepts gzip (the browser takes them as fast).
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/images/{id}/similarity-map")
        {
            Content = JsonContent.Create(new { session = "api-map", seeds = new[] { new[] { 172, 115 }, new[] { 100, 200 } }, threshold = 0.2 }),
        };
        request.Headers.AcceptEncoding.ParseAdd("gzip, deflate, br");
        using HttpResponseMessage local = await Http.SendAsync(request);
        Assert.Empty(local.Content.Headers.ContentEncoding);
        Assert.Equal(map, await local.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("gzip, deflate, br", "192.168.1.20", true)]
    [InlineData("gzip, deflate, br", "127.0.0.1", false)]
    [InlineData("gzip", "::1", false)]
    [InlineData("gzip", "::ffff:127.0.0.1", false)]
    [InlineData("br", "192.168.1.20", false)]
    [InlineData("", "10.0.0.2", false)]
    public void ShouldGzip_OnlyOffLoopbackAndWhenAccepted(string acceptEncoding, string remote, bool expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.AcceptEncoding = acceptEncoding;
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);

        Assert.Equal(expected, Api.ShouldGzip(context));
    }

    [Fact]
    public async Task EncodeMapWithMask_AndEncodeMask_CarryTheRefinedMask_RawOrGzipped()
    {
        ImageEntry entry = web.App.Services.GetRequiredService<SegmentationService>().Find(await OpenSampleAsync("chelsea.png"));
        var session = new ClickSession(entry.Features);
        session.Result.Guide = entry.GetOrCreateGuide().Guide;
        new SimilaritySegmenter(PageDefaults.Unrefined with { Refinement = Refinement.DenseCrf }).Segment(entry.Features, new SegmentationPrompt(new PixelPoint(172, 115)), 0.45f, session.Result);
        int n = 451 * 300;
        long heldBefore = session.Bytes(0);
        byte[] mask = session.Result.Mask.ToArray();
        byte[] levels = session.EncodeMap(gzip: false).Bytes.ToArray();

        byte[] both = session.EncodeMap(gzip: false, withMask: true).Bytes.ToArray();
        byte[] bothZipped = session.EncodeMap(gzip: true, withMask: true).Bytes.ToArray();
        byte[] alone = session.EncodeMask(gzip: false).Bytes.ToArray();
        byte[] aloneZipped = session.EncodeMask(gzip: true).Bytes.ToArray();

        Assert.Equal([.. levels, .. mask], both);
        Assert.Equal(both, Gunzip(bothZipped));
        Assert.Equal(mask, alone);
        Assert.Equal(mask, Gunzip(aloneZipped));
        Assert.True(aloneZipped.Length < n / 10, $"{aloneZipped.Length} bytes compressed");
        Assert.Equal(heldBefore + n, session.Bytes(0)); // the room for the mask is counted once it exists
    }

    [Fact]
    public async Task EncodeMap_Gzip_InflatesToTheRawLevels()
    {
        ImageEntry entry = web.App.Services.GetRequiredService<SegmentationService>().Find(await OpenSampleAsync("chelsea.png"));
        var session = new ClickSession(entry.Features);
        new SimilaritySegmenter(PageDefaults.Unrefined).Segment(entry.Features, new SegmentationPrompt([new PixelPoint(172, 115)]), 0.2f, session.Result);

        byte[] raw = session.EncodeMap(gzip: false).Bytes.ToArray();
        byte[] zipped = session.EncodeMap(gzip: true).Bytes.ToArray();

        Assert.Equal(451 * 300, raw.Length);
        Assert.True(zipped.Length < raw.Length / 2, $"{zipped.Length} bytes compressed");
        Assert.Equal(raw, Gunzip(zipped));
    }

    [Fact]
    public async Task Views_AllRenderAsPngAtTheImageSize()
    {
        string id = await OpenSampleAsync("coffee.png");
        foreach (string view in new[] { "mask", "soft-mask", "overlay", "cutout" })
        {
            using Image<Rgba32> image = await GetImageAsync<Rgba32>($"/api/images/{id}/views/{view}.png?seeds=290,150;300,160&threshold=0.25");
            Assert.Equal((600, 400), (image.Width, image.Height));
        }

        using Image<Rgb24> heatmap = await GetImageAsync<Rgb24>($"/api/images/{id}/views/similarity.png?seeds=290,150&threshold=0.25");
        Assert.Equal(400, heatmap.Height);
        Assert.True(heatmap.Width > 600, "the heatmap carries its colour bar on the right");
        using Image<Rgb24> original = await GetImageAsync<Rgb24>($"/api/images/{id}/image.png");
        using Image<Rgb24> expected = Image.Load<Rgb24>(TestPaths.Image("coffee.png"));
        Assert.Equal(expected[123, 45], original[123, 45]);
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadClicks => new()
    {
        { "seed outside", """{"seeds": [[451, 10]]}""", HttpStatusCode.BadRequest, "outside the 451x300 image" },
        { "no seed", """{"seeds": []}""", HttpStatusCode.BadRequest, "at least one seed" },
        { "seed not a pair", """{"seeds": [[1, 2, 3]]}""", HttpStatusCode.BadRequest, "[x, y]" },
        { "threshold too high", """{"seeds": [[1, 1]], "threshold": 1.5}""", HttpStatusCode.BadRequest, "[-1, 1]" },
        { "negative outside", """{"seeds": [[1, 1]], "negative": [[2, 300]]}""", HttpStatusCode.BadRequest, "outside the 451x300 image" },
        { "negative not a pair", """{"seeds": [[1, 1]], "negative": [[2]]}""", HttpStatusCode.BadRequest, "[x, y]" },
        { "only negatives", """{"negative": [[2, 2]]}""", HttpStatusCode.BadRequest, "at least one seed" },
        { "box outside", """{"box": [10, 10, 452, 20]}""", HttpStatusCode.BadRequest, "does not fit the 451x300 image" },
        { "box inverted", """{"box": [30, 10, 20, 20]}""", HttpStatusCode.BadRequest, "does not fit" },
        { "box of three", """{"box": [1, 2, 3]}""", HttpStatusCode.BadRequest, "four integers" },
        { "min area negative", """{"seeds": [[1, 1]], "minArea": -3}""", HttpStatusCode.BadRequest, "pixel count" },
        { "bad session", """{"session": "../x", "seeds": [[1, 1]]}""", HttpStatusCode.BadRequest, "session id" },
        { "not JSON", "seeds=1,1", HttpStatusCode.BadRequest, "must be JSON" },
    };

    [Theory]
    [MemberData(nameof(BadClicks))]
    public async Task Segment_BadRequest_SaysWhatIsWrong(string why, string body, HttpStatusCode status, string message)
    {
        _ = why;
        string id = await OpenSampleAsync("chelsea.png");

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await Http.PostAsync($"/api/images/{id}/segment", content);

        await AssertErrorAsync(response, status, message);
    }

    [Fact]
    public async Task UnknownImage_IsNotFoundWithAHintToReopen()
    {
        using HttpResponseMessage response = await Http.PostAsJsonAsync("/api/images/0123456789abcdef/segment", new { seeds = new[] { new[] { 1, 1 } } });

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "open it again");
    }

    [Theory]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("README.md")]
    [InlineData("chelsea")]
    public async Task OpenSample_AnythingButABundledName_IsNotFound(string name)
    {
        using HttpResponseMessage response = await Http.PostAsync($"/api/samples/{name}", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Upload_NotAnImage_Is415WithAClearMessage()
    {
        using var content = new ByteArrayContent("just some notes\n"u8.ToArray());
        content.Headers.Add("X-File-Name", "notes.txt");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        await AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "“notes.txt” is not an image DinoSeg can read");
    }

    [Fact]
    public async Task Upload_OverTheByteLimit_Is413AndNamesTheLimit()
    {
        using var content = new ByteArrayContent(new byte[WebFixture.Options.MaxUploadBytes + 1]);
        content.Headers.Add("X-File-Name", "big.png");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "at most 3.0 MiB");
    }

    [Fact]
    public async Task Upload_ChunkedOverTheByteLimit_Is413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[WebFixture.Options.MaxUploadBytes + 100_000]));
        content.Headers.Add("X-File-Name", "big.png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/images") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using HttpResponseMessage response = await Http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "at most 3.0 MiB");
    }

    [Fact]
    public async Task JsonError_KeepsNosniffAndTheContentSecurityPolicy()
    {
        using HttpResponseMessage response = await Http.GetAsync("/api/images/0123456789abcdef0123456789abcdef");

        await AssertErrorAsync(response, HttpStatusCode.NotFound, "no longer in the server's cache");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task Page_HasAContentSecurityPolicyThatForbidsFraming()
    {
        using HttpResponseMessage response = await Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", policy);
        Assert.Contains("script-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
    }

    [Theory]
    [InlineData("http://evil.example", null)]
    [InlineData("null", null)]
    [InlineData(null, "cross-site")]
    public async Task Post_FromAnotherOrigin_Is403(string? origin, string? fetchSite)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/samples/chelsea.png");
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);

        using HttpResponseMessage response = await Http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "refused");
    }

    [Fact]
    public async Task Post_FromThisServersOwnOrigin_IsServed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/samples/chelsea.png");
        request.Headers.Add("Origin", Http.BaseAddress!.GetLeftPart(UriPartial.Authority));

        using HttpResponseMessage response = await Http.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Request_WithAForeignHostWhileOnLoopback_Is421()
    {
        // A DNS-rebinding page reaches 127.0.0.1 under its own name.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/info");
        request.Headers.Host = "rebind.evil.example";

        using HttpResponseMessage response = await Http.SendAsync(request);

        await AssertErrorAsync(response, HttpStatusCode.MisdirectedRequest, "answers only to localhost");
    }

    [Fact]
    public async Task QueryThatDoesNotBind_Is400WithAJsonBody()
    {
        string id = await OpenSampleAsync("chelsea.png");

        using HttpResponseMessage response = await Http.GetAsync($"/api/images/{id}/views/mask.png?seeds=10,10&threshold=abc");

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "threshold");
    }

    [Fact]
    public async Task Upload_HeaderThatMakesTheDecoderThrow_Is422Not500()
    {
        // A TIFF whose first IFD lies past the end of the file: ImageSharp's identify throws an undocumented exception.
        byte[] tiff = [(byte)'I', (byte)'I', 42, 0, 0xFF, 0xFF, 0, 0, 0, 0];
        using var content = new ByteArrayContent(tiff);
        content.Headers.Add("X-File-Name", "bad.tif");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True((int)response.StatusCode is 415 or 422, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Upload_PngTextBomb_IsAcceptedWithoutInflatingTheText()
    {
        using var content = new ByteArrayContent(HostileFiles.PngTextBomb(8, 64L << 20));
        content.Headers.Add("X-File-Name", "bomb.png");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed} (inflating 512 MiB of text took 42 s)");
    }

    [Fact]
    public async Task Upload_OverThePixelLimit_Is413BeforeDecoding()
    {
        // A valid PNG header declaring 100000 x 100000 pixels and nothing else: refused from the header alone.
        using var content = new ByteArrayContent(HostileFiles.PngHeaderOnly(100_000, 100_000));
        content.Headers.Add("X-File-Name", "huge.png");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "100000 × 100000");
    }

    [Fact]
    public async Task Upload_TruncatedPng_Is422()
    {
        byte[] photo = await File.ReadAllBytesAsync(TestPaths.Image("chelsea.png"));
        using var content = new ByteArrayContent(photo[..(photo.Length / 2)]);
        content.Headers.Add("X-File-Name", "half.png");

        using HttpResponseMessage response = await Http.PostAsync("/api/images", content);

        await AssertErrorAsync(response, HttpStatusCode.UnprocessableEntity, "could not be decoded");
    }

    [Fact]
    public async Task Upload_Empty_Is400()
    {
        using HttpResponseMessage response = await Http.PostAsync("/api/images", new ByteArrayContent([]));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "empty");
    }

    [Fact]
    public void DefaultAddress_WithoutUrls_IsLoopback()
    {
        var none = new ConfigurationBuilder().Build();
        var given = new ConfigurationBuilder().AddInMemoryCollection([new("urls", "http://0.0.0.0:8080")]).Build();

        Assert.False(WebApp.AddressConfigured(none));
        Assert.True(WebApp.AddressConfigured(given));
        Assert.StartsWith("http://127.0.0.1:", WebOptions.DefaultUrl);
    }

    private static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>Opens a bundled photo on the fixture's server, or on <paramref name="http"/>'s.</summary>
    private async Task<string> OpenSampleAsync(string name, HttpClient? http = null)
    {
        using JsonDocument info = await PostJsonAsync($"/api/samples/{name}", null, http);
        return info.RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonDocument> GetJsonAsync(string path, HttpClient? http = null)
    {
        using HttpResponseMessage response = await (http ?? Http).GetAsync(path);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    private async Task<JsonDocument> PostJsonAsync(string path, object? body, HttpClient? http = null)
    {
        http ??= Http;
        using HttpResponseMessage response = body is null ? await http.PostAsync(path, null) : await http.PostAsJsonAsync(path, body);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    private async Task<Image<T>> GetImageAsync<T>(string path, HttpClient? http = null)
        where T : unmanaged, IPixel<T>
    {
        using HttpResponseMessage response = await (http ?? Http).GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        return Image.Load<T>(await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        using JsonDocument body = await ReadJsonAsync(response, status);
        Assert.Equal(new MediaTypeHeaderValue("application/problem+json") { CharSet = "utf-8" }, response.Content.Headers.ContentType);
        // RFC 9457: status and title beside the message (detail, and error for earlier clients).
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(body.RootElement.GetProperty("error").GetString(), body.RootElement.GetProperty("detail").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("title").GetString()));
        Assert.Contains(message, body.RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
