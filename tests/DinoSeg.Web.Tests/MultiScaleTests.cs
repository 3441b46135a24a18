using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Web.Tests;

/// <summary>
/// Servers started with a server-wide setting: <c>DinoSeg:Scales</c> (features fused over two working resolutions) and
/// <c>DinoSeg:Propagation</c> (every click ranked over the patch graph).
/// </summary>
public sealed class MultiScaleTests
{
    /// <summary>What a server started with one extra setting answered: its info, the opened sample, one click on it.</summary>
    private sealed record ServerClick(JsonDocument Info, HttpStatusCode Opened, JsonDocument Opening, HttpStatusCode Clicked, JsonDocument Click)
        : IDisposable
    {
        public void Dispose()
        {
            Info.Dispose();
            Opening.Dispose();
            Click.Dispose();
        }
    }

    /// <summary>Starts a server with <paramref name="setting"/>, opens chelsea.png and clicks the cat's left eye.</summary>
    private static async Task<ServerClick> ClickTheCatsEyeAsync(string setting, double threshold)
    {
        await using WebApplication app = WebApp.Create(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", setting]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };

        JsonDocument info = JsonDocument.Parse(await http.GetStringAsync("/api/info"));
        using HttpResponseMessage opened = await http.PostAsync("/api/samples/chelsea.png", null);
        JsonDocument opening = JsonDocument.Parse(await opened.Content.ReadAsStringAsync());
        string id = opening.RootElement.GetProperty("id").GetString()!;
        using HttpResponseMessage clicked = await http.PostAsJsonAsync($"/api/images/{id}/segment",
            new { seeds = new[] { new[] { 172, 115 } }, threshold });
        JsonDocument click = JsonDocument.Parse(await clicked.Content.ReadAsStringAsync());
        return new ServerClick(info, opened.StatusCode, opening, clicked.StatusCode, click);
    }

    [Fact]
    public async Task Scales_FromTheCommandLine_AreReportedAndClicksWork()
    {
        using ServerClick r = await ClickTheCatsEyeAsync("--DinoSeg:Scales=320, 448", threshold: 0.45);
        JsonDocument info = r.Info, opening = r.Opening, click = r.Click;

        Assert.Equal([320, 448], info.RootElement.GetProperty("scales").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(HttpStatusCode.OK, r.Opened);
        // The finest scale's grid: 448 px along the long side of the 451 × 300 photo.
        Assert.Equal(448 / 16, opening.RootElement.GetProperty("cols").GetInt32());
        Assert.Equal(HttpStatusCode.OK, r.Clicked);
        Assert.InRange(click.RootElement.GetProperty("areaFraction").GetDouble(), 0.001, 0.3);

        // The same fusion through the library gives the same selection.
        using var fused = MultiScaleExtractor.CreateDefault([320, 448], new ExtractorOptions { Device = ExecutionDevice.Cpu });
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        PatchFeatures features = fused.Extract(photo);
        SegmentationResult result = new SimilaritySegmenter(PageDefaults.Unrefined).Segment(features, new PixelPoint(172, 115), 0.45f);
        Assert.Equal(result.SelectedPixels, click.RootElement.GetProperty("selectedPixels").GetInt32());
    }

    [Fact]
    public async Task GraphPropagation_FromTheCommandLine_IsReportedAndRanksEveryClick()
    {
        using ServerClick r = await ClickTheCatsEyeAsync("--DinoSeg:Propagation=graph", threshold: 0.4);
        JsonDocument info = r.Info, click = r.Click;

        Assert.Equal("graph", info.RootElement.GetProperty("propagation").GetString());
        Assert.Equal(HttpStatusCode.OK, r.Clicked);

        // The same ranking through the library gives the same selection.
        IFeatureExtractor extractor = EmbeddedBackbone.Extractor;
        using Image<Rgb24> photo = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        PatchFeatures features = extractor.Extract(photo);
        var ranked = new SimilaritySegmenter(PageDefaults.Unrefined with { Propagation = Propagation.Graph });
        SegmentationResult result = ranked.Segment(features, new PixelPoint(172, 115), 0.4f);
        Assert.Equal(result.SelectedPixels, click.RootElement.GetProperty("selectedPixels").GetInt32());
    }

    [Fact]
    public void Propagation_Unknown_IsRefusedAtStartUp()
    {
        var options = new WebOptions { Propagation = "walk" };
        ArgumentException e = Assert.Throws<ArgumentException>("Propagation", options.Validate);
        Assert.Contains("DinoSeg:Propagation", e.Message);
    }

    [Fact]
    public void Refine_UnknownGrabCutOrCrf_IsRefusedOrMapped()
    {
        ArgumentException e = Assert.Throws<ArgumentException>("Refine", new WebOptions { Refine = "lattice" }.Validate);
        Assert.Contains("DinoSeg:Refine", e.Message);
        Assert.Equal(Refinement.GrabCut, new WebOptions { Refine = "grabcut" }.RefinementMode());
        Assert.Equal(Refinement.GuidedFilter, new WebOptions { Refine = "guided" }.RefinementMode());
        Assert.Equal(Refinement.DenseCrf, new WebOptions().RefinementMode()); // the library's default refinement
    }

    [Theory]
    [InlineData("512")]
    [InlineData("512,x")]
    [InlineData("512,8")]
    public void Scales_NotTwoOrMoreSides_AreRefusedAtStartUp(string scales)
    {
        var options = new WebOptions { Scales = scales };
        ArgumentException e = Assert.Throws<ArgumentException>("Scales", options.Validate);
        Assert.Contains("DinoSeg:Scales", e.Message);
    }
}
