using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DinoSeg.Tests.Shared;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Web.Tests;

/// <summary>The page in headless Chromium against the real server: what a person does, end to end.</summary>
[Collection(WebCollection.Name)]
public sealed class BrowserTests(WebFixture web)
{
    [Fact]
    public async Task ClickCatEye_MaskCoversTheClickAndEqualsTheLibrarys()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.UnrefinedAsync(); // the map thresholded in the page: both eyes, like the library's plain mask
        Assert.Equal("", await page.Locator("#area").GetAttributeAsync("data-selected-pixels"));

        await driver.ClickAsync(172, 115);

        // Auto mode (on for a new image): the slider is at the library's rule's threshold for this click.
        double threshold = await driver.ThresholdAsync();
        Assert.Equal(await LibraryAutoThresholdAsync(driver), threshold, 2); // the slider's nearest step
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        Assert.Equal(255, await driver.MaskAtAsync(318, 137)); // the other eye
        Assert.Equal(0, await driver.MaskAtAsync(20, 280));
        Assert.Equal(0, await driver.MaskAtAsync(240, 200)); // the nose
        int selected = await driver.SelectedPixelsAsync();
        Assert.Equal(await LibraryAreaAsync(driver, threshold), selected);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.dinoSeg.state.marks.length"));
        await Assertions.Expect(page.Locator("#area")).ToContainTextAsync("Selected");
        await driver.ScreenshotAsync("web.png");

        // A click elsewhere replaces the seed and the mask follows it.
        await driver.ClickAsync(60, 250, "#mask");
        Assert.Equal(255, await driver.MaskAtAsync(60, 250));
        Assert.NotEqual(selected, await driver.SelectedPixelsAsync());
        Assert.Single(await driver.SeedsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DefaultClick_IsTheLibrarysDefault_TheCrfAtTheRulesThreshold()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        Assert.True(await page.Locator("#refine").IsCheckedAsync(), "Refine edges is on by default where the server refines");

        await driver.ClickAsync(172, 115);

        // The library's default click (SegmentationOptions.Default: graph ranking, its rule, the CRF) on the same pixels.
        int[] seed = (await driver.SeedsAsync())[0];
        using Image<Rgb24> image = Image.Load<Rgb24>(TestPaths.Image("chelsea.png"));
        PatchFeatures features = EmbeddedBackbone.Segmenter.Extract(image);
        var result = new SegmentationResult(features) { Guide = RefinementGuide.FromImage(image) };
        new SimilaritySegmenter(SegmentationOptions.Default).SegmentAuto(features, new SegmentationPrompt(new PixelPoint(seed[0], seed[1])), into: result);
        Assert.Equal(Refinement.DenseCrf, SegmentationOptions.Default.Refinement);
        Assert.Equal(result.Threshold, (float)await driver.ShownThresholdAsync());
        Assert.Equal(result.SelectedPixels, await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Slider_Moves_MaskShrinksAndGrowsAndStaysEqualToTheLibrarys()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("coffee.png");
        await driver.UnrefinedAsync(); // the page's own slider: the map thresholded in the browser
        await driver.ClickAsync(290, 150);
        int atDefault = await driver.SelectedPixelsAsync();
        double raised = Math.Round(await driver.ThresholdAsync() + 0.1, 2);

        await driver.SetThresholdAsync(raised);
        int higher = await driver.SelectedPixelsAsync();
        await driver.SetThresholdAsync(0.0);
        int lower = await driver.SelectedPixelsAsync();
        await driver.StepSliderAsync("ArrowLeft");
        int oneStepLower = await driver.SelectedPixelsAsync();

        Assert.True(higher < atDefault, $"raising the threshold to {raised} should shrink the mask ({higher} vs {atDefault} px)");
        Assert.True(lower > atDefault, $"lowering it to 0 should grow the mask ({lower} vs {atDefault} px)");
        Assert.True(oneStepLower >= lower);
        Assert.Equal(-0.01, await driver.ThresholdAsync(), 6);
        Assert.Equal("-0.01", await page.Locator("#threshold-value").TextContentAsync());
        Assert.Equal(255, await driver.MaskAtAsync(290, 150));
        foreach (double t in new[] { raised, 0.0 })
        {
            await driver.SetThresholdAsync(t);
            Assert.Equal(await LibraryAreaAsync(driver, t), await driver.SelectedPixelsAsync());
        }

        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task AutoMode_FollowsEachClick_EndsWithTheSlider_AndIsOnAgainForTheNextImage()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        ILocator auto = page.Locator("#auto-threshold");
        Assert.Equal("true", await auto.GetAttributeAsync("aria-pressed"));

        // On: each click's threshold is the server's rule's, for that click's own map.
        IResponse reply = await page.RunAndWaitForResponseAsync(() => driver.ClickAsync(172, 115), r => r.Url.EndsWith("/similarity-map", StringComparison.Ordinal));
        double first = double.Parse(await reply.HeaderValueAsync("x-dinoseg-auto-threshold") ?? "", CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(first, 2), await driver.ThresholdAsync(), 6);
        reply = await page.RunAndWaitForResponseAsync(() => driver.ClickAsync(60, 250, "#image", [KeyboardModifier.Shift]),
            r => r.Url.EndsWith("/similarity-map", StringComparison.Ordinal));
        double second = double.Parse(await reply.HeaderValueAsync("x-dinoseg-auto-threshold") ?? "", CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(second, 2), await driver.ThresholdAsync(), 6);
        Assert.Equal(await LibraryAreaAsync(driver), await driver.SelectedPixelsAsync());

        // A hand on the slider ends it: the next click keeps the slider's value.
        await driver.SetThresholdAsync(0.6);
        Assert.Equal("false", await auto.GetAttributeAsync("aria-pressed"));
        await driver.ClickAsync(318, 137);
        Assert.Equal(0.6, await driver.ThresholdAsync(), 6);
        Assert.Equal(await LibraryAreaAsync(driver, 0.6), await driver.SelectedPixelsAsync());

        // Pressing it again turns it on and moves the slider to the last click's rule-chosen value at once.
        int before = await driver.MaskVersionAsync();
        await auto.ClickAsync();
        await driver.WaitMaskAfterAsync(before);
        Assert.Equal("true", await auto.GetAttributeAsync("aria-pressed"));
        Assert.Equal(await LibraryAutoThresholdAsync(driver), await driver.ThresholdAsync(), 2);
        Assert.Equal(await LibraryAreaAsync(driver), await driver.SelectedPixelsAsync());

        // Off again, then another image: Auto is on again and the slider back at its start.
        await driver.SetThresholdAsync(0.7);
        Assert.Equal("false", await auto.GetAttributeAsync("aria-pressed"));
        await driver.PickSampleAsync("coffee.png");
        Assert.Equal("true", await auto.GetAttributeAsync("aria-pressed"));
        Assert.Equal(GraphOptions.DefaultThreshold, await driver.ThresholdAsync(), 6);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ShiftClick_AddsASeed_AltClick_AddsANegativeThatRemovesItsRegion()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await Assertions.Expect(page.Locator("#negative-note")).ToBeVisibleAsync();

        // Alt-click with nothing to subtract from: a notice, no request.
        int version = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(318, 137, modifiers: [KeyboardModifier.Alt]);
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("click the object or drag a box");
        Assert.Equal(version, await driver.MaskVersionAsync());

        await driver.ClickAsync(172, 115);
        await driver.ClickAsync(60, 250, "#image", [KeyboardModifier.Shift]);
        Assert.Equal(2, await page.EvaluateAsync<int>("() => window.dinoSeg.state.marks.length"));
        Assert.Equal(await LibraryAreaAsync(driver), await driver.SelectedPixelsAsync());
        Assert.Equal(255, await driver.MaskAtAsync(318, 137)); // the other eye, before the negative

        int before = await driver.MaskVersionAsync();
        int slack = await driver.ClickOnlyAsync(318, 137, "#mask", [KeyboardModifier.Alt]);
        await driver.WaitMaskAfterAsync(before);

        int[][] negatives = await driver.NegativesAsync();
        Assert.Single(negatives);
        Assert.InRange(negatives[0][0], 318 - slack, 318 + slack);
        Assert.Equal(2, (await driver.SeedsAsync()).Length);
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.dinoSeg.state.negativeMarks.length"));
        Assert.Equal(0, await driver.MaskAtAsync(318, 137));
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        Assert.Equal(await LibraryAreaAsync(driver), await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.SetThresholdAsync(-0.5); // the slider keeps the negative's exclusion
        Assert.Equal(0, await driver.MaskAtAsync(318, 137));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.ScreenshotAsync("negative-seed.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DragABox_SegmentsFromTheBox_WithinItsLimit_AndEqualsTheLibrarys()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("coffee.png");

        await driver.DragAsync(205, 95, 370, 195);

        int[] box = (await driver.BoxAsync())!;
        Assert.InRange(box[0], 203, 207);
        Assert.InRange(box[2], 368, 373);
        Assert.Empty(await driver.SeedsAsync());
        Assert.Equal(box, await page.EvaluateAsync<int[]>("() => window.dinoSeg.state.boxMark"));
        Assert.Equal(255, await driver.MaskAtAsync(290, 150));
        Assert.Equal(0, await driver.MaskAtAsync(120, 150)); // outside the box and its margin
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.ScreenshotAsync("box.png");

        // A plain click afterwards replaces the box with a seed.
        await driver.ClickAsync(100, 300);
        Assert.Null(await driver.BoxAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RegionOptions_FilterThePagesMaskLikeTheLibrary_WithoutANewClick()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.UnrefinedAsync(); // the page's own region filter, on the map thresholded in the browser
        await driver.ClickAsync(172, 115);
        Assert.Equal(255, await driver.MaskAtAsync(318, 137));
        int clicks = await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length");

        int before = await driver.MaskVersionAsync();
        await page.Locator("#keep-regions").CheckAsync();
        await driver.WaitMaskAfterAsync(before);

        Assert.Equal(0, await driver.MaskAtAsync(318, 137)); // the other eye is a region of its own
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Equal(clicks, await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length"));
        foreach (double t in new[] { 0.1, 0.35 })
        {
            await driver.SetThresholdAsync(t);
            Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        }

        await page.Locator("#keep-regions").UncheckAsync();
        before = await driver.MaskVersionAsync();
        await page.Locator("#min-area").FillAsync("400");
        await driver.WaitMaskAfterAsync(before);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Contains("minArea=400", await page.Locator("a.download[data-view=\"mask\"]").GetAttributeAsync("href"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RefineEdges_ClicksAgainWithTheGuidedFilter_AndSliderAndDownloadsFollowIt()
    {
        // A server with DinoSeg:Refine=guided: the filter changes the map, so the page thresholds the refined map itself.
        RefineServer guided = await web.RefineServerAsync("guided");
        IPage page = await web.OpenPageAsync(server: guided.BaseAddress);
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.UnrefinedAsync(); // first the plain click, then the box ticked
        await driver.ClickAsync(172, 115);
        int plain = await driver.SelectedPixelsAsync();
        int clicks = await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length");

        int before = await driver.MaskVersionAsync();
        await page.Locator("#refine").CheckAsync();
        await driver.WaitMaskAfterAsync(before);

        // A new request (the map itself changes), whose map the page then thresholds alone.
        Assert.Equal(clicks + 1, await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length"));
        Assert.Contains("refine=true", await page.Locator("a.download[data-view=\"mask\"]").GetAttributeAsync("href"));
        Assert.Equal(await LibraryAreaAsync(driver, await driver.ThresholdAsync(), refine: true, guided.Http), await driver.SelectedPixelsAsync());
        Assert.NotEqual(plain, await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.SetThresholdAsync(0.3);
        Assert.Equal(await LibraryAreaAsync(driver, 0.3, refine: true, guided.Http), await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Equal(clicks + 1, await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.dinoSeg.maskFetch.requests")); // no slider request

        before = await driver.MaskVersionAsync();
        await page.Locator("#refine").UncheckAsync();
        await driver.WaitMaskAfterAsync(before);
        Assert.Equal(await LibraryAreaAsync(driver, 0.3, http: guided.Http), await driver.SelectedPixelsAsync());
        Assert.DoesNotContain("refine=true", await page.Locator("a.download[data-view=\"mask\"]").GetAttributeAsync("href"));
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("crf")] // the default: the fixture's main server
    [InlineData("grabcut")]
    public async Task RefineEdges_MaskRefinement_SliderShowsTheServersRefinedMask_CoalescedAndUndoable(string refine)
    {
        RefineServer? other = refine == "crf" ? null : await web.RefineServerAsync(refine);
        HttpClient http = other?.Http ?? web.Http;
        IPage page = await web.OpenPageAsync(server: other?.BaseAddress);
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        Assert.True(await page.Locator("#refine").IsCheckedAsync(), "on by default where the server refines");
        await driver.ClickAsync(172, 115);

        // The click's reply carried its refined mask: shown as is, equal to the library's at the rule's own threshold (Auto
        // mode: off the slider's 0.01 grid, so the slider shows it rounded and the download links carry it exactly).
        double auto = await page.EvaluateAsync<double>("() => window.dinoSeg.state.serverMask.threshold");
        Assert.Equal(await page.EvaluateAsync<double>("() => window.dinoSeg.state.autoThreshold"), auto);
        Assert.Equal(Math.Round(auto, 2), await driver.ThresholdAsync());
        Assert.Equal(await LibraryAreaAsync(driver, auto, refine: true, http), await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.dinoSeg.maskFetch.requests"));

        // A slider move asks the server, whose refined mask the page shows, not the map's threshold in the browser.
        await MoveSliderAsync(driver, 0.3);
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.dinoSeg.maskFetch.requests"));
        int at03 = await driver.SelectedPixelsAsync();
        Assert.Equal(await LibraryAreaAsync(driver, 0.3, refine: true, http), at03);
        Assert.NotEqual(await page.EvaluateAsync<int>("() => window.dinoSeg.state.levels.filter(level => level > 130).length"), at03);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        Assert.Contains("threshold=0.3", await page.Locator("a.download[data-view=\"mask\"]").GetAttributeAsync("href"));

        // A drag: three moves at once. One request is out (0.35), its answer is drawn, then the latest threshold is asked.
        int version = await driver.MaskVersionAsync();
        bool hinted = await page.EvaluateAsync<bool>("""
            () => {
              const slider = document.getElementById('threshold');
              for (const t of [0.35, 0.4, 0.5]) {
                slider.value = String(t);
                slider.dispatchEvent(new Event('input', { bubbles: true }));
              }
              slider.dispatchEvent(new Event('change', { bubbles: true }));
              return document.body.dataset.maskPending === 'true';
            }
            """);
        Assert.True(hinted, "the busy hint shows while the server refines");
        await page.WaitForFunctionAsync("() => !window.dinoSeg.maskFetch.inFlight && document.body.dataset.maskPending === undefined");
        Assert.Equal(3, await page.EvaluateAsync<int>("() => window.dinoSeg.maskFetch.requests"));
        Assert.Equal(version + 2, await driver.MaskVersionAsync());
        Assert.Equal(0.5, await driver.ThresholdAsync());
        int at05 = await driver.SelectedPixelsAsync();
        Assert.Equal(await LibraryAreaAsync(driver, 0.5, refine: true, http), at05);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // Undo and redo put the threshold back, and the server's mask with it.
        await driver.PressAndWaitMaskAsync("Control+z");
        Assert.Equal(0.3, await driver.ThresholdAsync());
        Assert.Equal(at03, await driver.SelectedPixelsAsync());
        await driver.PressAndWaitMaskAsync("Control+Shift+z");
        Assert.Equal(at05, await driver.SelectedPixelsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // A region option is in the server's mask: changing it segments again.
        int clicks = await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length");
        version = await driver.MaskVersionAsync();
        await page.Locator("#keep-regions").CheckAsync();
        await driver.WaitMaskAfterAsync(version);
        Assert.Equal(clicks + 1, await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length"));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    /// <summary>A slider move as a person's ends: an input event, then change (one undo step); waits for the mask.</summary>
    private static async Task MoveSliderAsync(PageDriver driver, double threshold)
    {
        int before = await driver.MaskVersionAsync();
        await driver.Page.EvaluateAsync("""
            t => {
              const slider = document.getElementById('threshold');
              slider.value = String(t);
              slider.dispatchEvent(new Event('input', { bubbles: true }));
              slider.dispatchEvent(new Event('change', { bubbles: true }));
            }
            """, threshold);
        await driver.WaitMaskAfterAsync(before);
    }

    [Fact]
    public async Task UploadRealPhoto_BusyWhileExtracting_ThenAClickSegmentsIt()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        // Hold the upload until the busy indicator has been seen (extraction alone is too quick to catch reliably).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/images", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });

        await page.Locator("#file").SetInputFilesAsync(TestPaths.Image("rocket.jpg"));
        await Assertions.Expect(page.Locator("#busy")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#busy")).ToContainTextAsync("Extracting features of rocket.jpg");
        await driver.ScreenshotAsync("busy.png");
        release.SetResult();
        await driver.WaitOpenedAsync("rocket.jpg");

        await Assertions.Expect(page.Locator("#busy")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("rocket.jpg · 640×427 px");
        await driver.ClickAsync(320, 100);

        Assert.Equal(255, await driver.MaskAtAsync(320, 100));
        Assert.Equal(await LibraryAreaAsync(driver), await driver.SelectedPixelsAsync());
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UploadNonImage_ShowsTheErrorAndKeepsTheImage()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");

        await page.Locator("#file").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "not a photo"u8.ToArray() });

        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("“notes.txt” is not an image DinoSeg can read");
        await page.WaitForFunctionAsync("() => document.body.dataset.state === 'ready'");
        Assert.Equal(451, (await driver.ImageAsync()).Width);
        await driver.ScreenshotAsync("upload-error.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task UploadTooLarge_IsRefusedWithTheLimit()
    {
        IPage page = await web.OpenPageAsync();

        await page.Locator("#file").SetInputFilesAsync(new FilePayload
        {
            Name = "huge.png",
            MimeType = "image/png",
            Buffer = new byte[WebFixture.Options.MaxUploadBytes + 1],
        });

        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("at most 3.0 MiB");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Downloads_AreTheLibrarysPngsForTheCurrentSeedsAndThreshold()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.ClickAsync(172, 115);
        await driver.SetThresholdAsync(0.3);

        foreach (string view in new[] { "similarity", "mask", "overlay", "cutout" })
        {
            IDownload download = await page.RunAndWaitForDownloadAsync(() => page.Locator($"a.download[data-view=\"{view}\"]").ClickAsync());
            string path = Path.Combine(WebFixture.OutputDirectory, download.SuggestedFilename);
            await download.SaveAsAsync(path);
            Assert.Equal($"chelsea-{view}.png", download.SuggestedFilename);
            using Image<Rgba32> image = Image.Load<Rgba32>(path);
            Assert.Equal(300, image.Height);
            if (view == "mask") Assert.Equal(await LibraryAreaAsync(driver, 0.3), CountWhite(image));
        }

        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Latency_ClickAndSliderAt1024px_AreMeasuredInThePage()
    {
        // A 1024-px photo: the coffee cup scaled up from 600x400 (a real photo, just larger).
        string photo = Path.Combine(WebFixture.OutputDirectory, "coffee-1024.png");
        using (Image<Rgb24> source = Image.Load<Rgb24>(TestPaths.Image("coffee.png")))
        {
            source.Mutate(c => c.Resize(1024, 683));
            await source.SaveAsPngAsync(photo);
        }

        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.UploadAsync(photo);
        await driver.UnrefinedAsync(); // the page's own path: a click's map, then slider moves with no request
        (int x, int y)[] points = [(495, 256), (480, 240), (510, 270), (300, 500), (700, 150), (470, 250), (520, 260), (200, 200), (800, 600), (530, 230), (495, 256), (600, 400)];
        foreach (var (x, y) in points)
        {
            // A person clicks a few times a second at most: let the previous update reach the screen first.
            await page.WaitForTimeoutAsync(150);
            await driver.ClickAsync(x, y);
        }

        await page.Locator("#threshold").FocusAsync();
        for (int i = 0; i < 24; i++) await driver.StepSliderAsync(i < 12 ? "ArrowRight" : "ArrowLeft");

        // The same again with the events raised inside the page: no Playwright round trips (actionability checks, CDP
        // input acknowledgements, polling) compete with the page while it works, as with a person at the mouse.
        await page.EvaluateAsync(InPageRun, new { points = points.Select(p => new[] { p.x, p.y }).ToArray(), steps = 24 });

        // Drop the first two of each (JIT, first allocation of buffers) and report; timings are information, not a test.
        var stats = await page.EvaluateAsync<JsonElement>("() => window.dinoSeg.stats");
        JsonElement[] allClicks = [.. stats.GetProperty("click").EnumerateArray()], allSliders = [.. stats.GetProperty("slider").EnumerateArray()];
        JsonElement[] clicks = allClicks[2..points.Length], inPageClicks = allClicks[points.Length..];
        Summary click = Summary.Of(clicks), slider = Summary.Of(allSliders[2..24]);
        Summary inPageClick = Summary.Of(inPageClicks), inPageSlider = Summary.Of(allSliders[24..]);
        string report = JsonSerializer.Serialize(new
        {
            image = "coffee.png scaled to 1024x683, embedded ResNet18 backbone",
            clickToMaskMs = click,
            sliderToMaskMs = slider,
            clickToMaskEventsInPageMs = inPageClick,
            sliderToMaskEventsInPageMs = inPageSlider,
            measured = "in the page: from the input event's timeStamp to the mask, overlay and cut-out drawn ('ready') and to the next animation frame ('frame'); "
                + "first with trusted events from Playwright, then with events dispatched by a script in the page",
            clickPhasesMedianMs = new
            {
                reply = Median(clicks, "reply"),
                heatmap = Median(clicks, "heatmap"),
                threshold = Median(clicks, "threshold"),
                replyEventsInPage = Median(inPageClicks, "reply"),
            },
            configuration = typeof(BrowserTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
                .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration,
        }, new JsonSerializerOptions { WriteIndented = true });
        await File.WriteAllTextAsync(Path.Combine(WebFixture.OutputDirectory, "latency.json"), report);
        await File.WriteAllTextAsync(Path.Combine(WebFixture.OutputDirectory, "latency-raw.json"), stats.GetRawText());
        Console.WriteLine(report);
        Assert.Equal(points.Length - 2, click.Count);
        Assert.Equal(22, slider.Count);
        Assert.Equal(points.Length, inPageClick.Count);
        Assert.Equal(24, inPageSlider.Count);
        await driver.ScreenshotAsync("latency-1024.png");
        await page.Context.CloseAsync();
    }

    /// <summary>
    /// The library's selected pixels for the page's own prompt at <paramref name="threshold"/> (null: the shown mask's),
    /// refined when <paramref name="refine"/> (null: as the page's "Refine edges" says), through the API.
    /// </summary>
    /// <remarks>On the fixture's server, or on <paramref name="http"/>'s (a server with another DinoSeg:Refine).</remarks>
    /// <summary>The threshold the library's default rule chooses for the page's current prompt and refinement.</summary>
    private async Task<double> LibraryAutoThresholdAsync(PageDriver driver)
    {
        bool refine = await driver.Page.Locator("#refine").IsCheckedAsync();
        var (id, _, _) = await driver.ImageAsync();
        int[][] seeds = await driver.SeedsAsync(), negative = await driver.NegativesAsync();
        int[]? box = await driver.BoxAsync();
        using HttpResponseMessage response = await web.Http.PostAsJsonAsync($"/api/images/{id}/segment",
            new { session = "browser-test-check", seeds, negative, box, refine });
        response.EnsureSuccessStatusCode();
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("threshold").GetDouble();
    }

    private async Task<int> LibraryAreaAsync(PageDriver driver, double? threshold = null, bool? refine = null, HttpClient? http = null)
    {
        threshold ??= await driver.ShownThresholdAsync();
        refine ??= await driver.Page.Locator("#refine").IsCheckedAsync();
        var (id, _, _) = await driver.ImageAsync();
        int[][] seeds = await driver.SeedsAsync(), negative = await driver.NegativesAsync();
        int[]? box = await driver.BoxAsync();
        using HttpResponseMessage response = await (http ?? web.Http).PostAsJsonAsync($"/api/images/{id}/segment",
            new { session = "browser-test-check", seeds, negative, box, threshold, refine });
        response.EnsureSuccessStatusCode();
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("selectedPixels").GetInt32();
    }

    /// <summary>
    /// Clicks on the image view and slider steps raised by a script in the page, each waiting for the mask to be redrawn
    /// (a MutationObserver, no polling) and, for clicks, a pause like a person's.
    /// </summary>
    private const string InPageRun = """
        async ({ points, steps }) => {
          const body = document.body, canvas = document.getElementById('image'), slider = document.getElementById('threshold');
          const { width, height } = window.dinoSeg.state.image;
          const redrawn = () => new Promise(resolve => {
            const before = body.dataset.maskVersion;
            const observer = new MutationObserver(() => {
              if (body.dataset.maskVersion !== before) { observer.disconnect(); resolve(); }
            });
            observer.observe(body, { attributes: true, attributeFilter: ['data-mask-version'] });
          });
          const pause = ms => new Promise(resolve => setTimeout(resolve, ms));
          for (const [x, y] of points) {
            await pause(150);
            const rect = canvas.getBoundingClientRect();
            const done = redrawn();
            const at = { bubbles: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, button: 0,
              clientX: rect.left + (x + 0.5) * rect.width / width, clientY: rect.top + (y + 0.5) * rect.height / height };
            canvas.dispatchEvent(new PointerEvent('pointerdown', at));
            canvas.dispatchEvent(new PointerEvent('pointerup', at));
            await done;
          }
          for (let i = 0; i < steps; i++) {
            await pause(20);
            const done = redrawn();
            slider.value = String(Number(slider.value) + (i < steps / 2 ? 0.01 : -0.01));
            slider.dispatchEvent(new Event('input', { bubbles: true }));
            await done;
          }
        }
        """;

    private static double Median(JsonElement[] entries, string phase)
    {
        double[] values = [.. entries.Select(e => e.GetProperty("phases").GetProperty(phase).GetDouble()).Order()];
        return Math.Round(values[values.Length / 2], 2);
    }

    private static int CountWhite(Image<Rgba32> image)
    {
        int count = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (Rgba32 p in rows.GetRowSpan(y)) count += p.R > 127 ? 1 : 0;
            }
        });
        return count;
    }

    private sealed record Summary(int Count, double ReadyMedian, double ReadyP90, double ReadyMax, double FrameMedian, double FrameP90)
    {
        public static Summary Of(JsonElement[] items)
        {
            double[] ready = [.. items.Select(e => e.GetProperty("ready").GetDouble()).Order()];
            double[] frame = [.. items.Select(e => e.GetProperty("frame").ValueKind == JsonValueKind.Number ? e.GetProperty("frame").GetDouble() : double.NaN).Order()];
            return new Summary(items.Length, Round(Percentile(ready, 0.5)), Round(Percentile(ready, 0.9)), Round(ready.Max()),
                Round(Percentile(frame, 0.5)), Round(Percentile(frame, 0.9)));
        }

        private static double Percentile(double[] sorted, double p) => sorted[(int)Math.Min(sorted.Length - 1, Math.Round(p * (sorted.Length - 1)))];

        private static double Round(double v) => Math.Round(v, 2);
    }
}
