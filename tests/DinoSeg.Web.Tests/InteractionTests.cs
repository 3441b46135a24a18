using System.IO.Compression;
using DinoSeg.Tests.Shared;
using Microsoft.Playwright;

namespace DinoSeg.Web.Tests;

/// <summary>
/// The page as a selection tool in headless Chromium: undo and redo, removing a seed, the shortcuts, touch and pen,
/// keyboard-only use, zoom and pan, the busy state and the exports. Every mask is checked against the library's.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class InteractionTests(WebFixture web)
{
    [Fact]
    public async Task UndoRedo_StepThroughSeedsNegativesBoxesAndOptions()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        ILocator undo = page.Locator("#undo"), redo = page.Locator("#redo");
        await Assertions.Expect(undo).ToBeDisabledAsync();

        await driver.ClickAsync(172, 115);
        await driver.ClickAsync(60, 250, modifiers: [KeyboardModifier.Shift]);
        int before = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(318, 137, modifiers: [KeyboardModifier.Alt]);
        await driver.WaitMaskAfterAsync(before);
        Assert.Single(await driver.NegativesAsync());

        // Ctrl+Z takes the negative back, the Undo button the second seed; the mask is the library's each time.
        await driver.PressAndWaitMaskAsync("Control+z");
        Assert.Empty(await driver.NegativesAsync());
        Assert.Equal(2, (await driver.SeedsAsync()).Length);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        before = await driver.MaskVersionAsync();
        await undo.ClickAsync();
        await driver.WaitMaskAfterAsync(before);
        Assert.Single(await driver.SeedsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // Ctrl+Shift+Z and Redo bring them back in order.
        await driver.PressAndWaitMaskAsync("Control+Shift+z");
        Assert.Equal(2, (await driver.SeedsAsync()).Length);
        before = await driver.MaskVersionAsync();
        await redo.ClickAsync();
        await driver.WaitMaskAfterAsync(before);
        Assert.Single(await driver.NegativesAsync());
        await Assertions.Expect(redo).ToBeDisabledAsync();
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // An option is a step too. The default click's mask is refined on the server (the CRF), which applies the region
        // options: ticking one and undoing it each segment again.
        int clicks = await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length");
        before = await driver.MaskVersionAsync();
        await page.Locator("#keep-regions").CheckAsync();
        await driver.WaitMaskAfterAsync(before);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.PressAndWaitMaskAsync("Control+z");
        Assert.False(await page.Locator("#keep-regions").IsCheckedAsync());
        Assert.Equal(clicks + 2, await page.EvaluateAsync<int>("() => window.dinoSeg.stats.click.length"));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // A box replaces the seeds; undo brings the seeds and the negative back.
        await driver.DragAsync(100, 60, 380, 200);
        Assert.NotNull(await driver.BoxAsync());
        Assert.Empty(await driver.SeedsAsync());
        await driver.PressAndWaitMaskAsync("Control+z");
        Assert.Null(await driver.BoxAsync());
        Assert.Equal(2, (await driver.SeedsAsync()).Length);
        Assert.Single(await driver.NegativesAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ClickOnASeed_RemovesIt_AndTheLastOneClearsTheSelection()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.ClickAsync(172, 115);
        await driver.ClickAsync(60, 250, modifiers: [KeyboardModifier.Shift]);
        int before = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(318, 137, modifiers: [KeyboardModifier.Alt]);
        await driver.WaitMaskAfterAsync(before);

        // A plain click on the negative seed removes it, then one on the second seed.
        await ClickAndWaitAsync(driver, 319, 138);
        Assert.Empty(await driver.NegativesAsync());
        Assert.Equal(2, (await driver.SeedsAsync()).Length);
        await ClickAndWaitAsync(driver, 62, 248);
        int[][] seeds = await driver.SeedsAsync();
        Assert.Single(seeds);
        Assert.InRange(seeds[0][0], 171, 173);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // The last seed: nothing is selected any more.
        await driver.ClickOnlyAsync(173, 116);
        await page.WaitForFunctionAsync("() => window.dinoSeg.state.seeds.length === 0 && window.dinoSeg.state.levels === null");
        Assert.Equal("", await page.Locator("#area").GetAttributeAsync("data-selected-pixels"));
        await Assertions.Expect(page.Locator("a.download[data-export=\"zip\"]")).ToHaveAttributeAsync("aria-disabled", "true");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Shortcuts_ToggleModes_NudgeTheThreshold_ToggleAuto_AndClear()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await Assertions.Expect(page.Locator(".keys")).ToContainTextAsync("Ctrl+Z undo");
        await Assertions.Expect(page.Locator(".keys")).ToContainTextAsync("N negative mode");
        await driver.ClickAsync(172, 115);
        double auto = await driver.ThresholdAsync();

        await page.Keyboard.PressAsync("n");
        Assert.True(await page.Locator("#negative-mode").IsCheckedAsync());
        await page.Keyboard.PressAsync("n");
        Assert.False(await page.Locator("#negative-mode").IsCheckedAsync());
        await page.Keyboard.PressAsync("b");
        Assert.True(await page.Locator("#box-mode").IsCheckedAsync());
        await page.Keyboard.PressAsync("b");
        Assert.False(await page.Locator("#box-mode").IsCheckedAsync());

        // ] and [ move the slider by one step each (Auto ends), the mask follows in the page.
        await driver.PressAndWaitMaskAsync("]");
        await driver.PressAndWaitMaskAsync("]");
        Assert.Equal(auto + 0.02, await driver.ThresholdAsync(), 6);
        Assert.Equal("false", await page.Locator("#auto-threshold").GetAttributeAsync("aria-pressed"));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.PressAndWaitMaskAsync("[");
        Assert.Equal(auto + 0.01, await driver.ThresholdAsync(), 6);

        // A turns Auto on again (the slider back at this click's rule), Esc clears.
        await driver.PressAndWaitMaskAsync("a");
        Assert.Equal("true", await page.Locator("#auto-threshold").GetAttributeAsync("aria-pressed"));
        Assert.Equal(auto, await driver.ThresholdAsync(), 6);
        await page.Keyboard.PressAsync("Escape");
        await page.WaitForFunctionAsync("() => window.dinoSeg.state.seeds.length === 0 && window.dinoSeg.state.levels === null");
        Assert.Equal("", await page.Locator("#area").GetAttributeAsync("data-selected-pixels"));

        // Box mode: two clicks are the corners of a box.
        await page.Keyboard.PressAsync("b");
        await driver.ClickOnlyAsync(100, 60);
        int before = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(380, 200);
        await driver.WaitMaskAfterAsync(before);
        int[] box = (await driver.BoxAsync())!;
        Assert.InRange(box[0], 99, 101);
        Assert.InRange(box[3], 200, 202);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Touch_TapSeeds_DragDrawsABox_PinchZooms_AndPenClicks()
    {
        IPage page = await web.OpenPageAsync(hasTouch: true);
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("coffee.png");
        await page.EvaluateAsync("() => { window.pointerTypes = []; addEventListener('pointerdown', e => window.pointerTypes.push(e.pointerType), true); }");

        // A tap is a click.
        var (x, y) = await driver.PointAsync(290, 150);
        int before = await driver.MaskVersionAsync();
        await page.Touchscreen.TapAsync(x, y);
        await driver.WaitMaskAfterAsync(before);
        int[] seed = (await driver.SeedsAsync())[0];
        Assert.InRange(seed[0], 289, 291);
        Assert.Equal(255, await driver.MaskAtAsync(290, 150));

        // One finger dragged draws a box (trusted touch events through the DevTools protocol).
        ICDPSession cdp = await page.Context.NewCDPSessionAsync(page);
        var (x0, y0) = await driver.PointAsync(205, 95);
        var (x1, y1) = await driver.PointAsync(370, 195);
        before = await driver.MaskVersionAsync();
        await TouchAsync(cdp, "touchStart", (x0, y0));
        for (int i = 1; i <= 8; i++) await TouchAsync(cdp, "touchMove", (x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * i / 8));
        await TouchAsync(cdp, "touchEnd");
        await driver.WaitMaskAfterAsync(before);
        int[] box = (await driver.BoxAsync())!;
        Assert.InRange(box[0], 203, 207);
        Assert.InRange(box[2], 368, 373);
        Assert.Empty(await driver.SeedsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // Two fingers moving apart zoom in; the box stays where it was on the image.
        var (cx, cy) = await driver.PointAsync(300, 200);
        await TouchAsync(cdp, "touchStart", (cx - 20, cy), (cx + 20, cy));
        for (int i = 1; i <= 6; i++) await TouchAsync(cdp, "touchMove", (cx - 20 - 5 * i, cy), (cx + 20 + 5 * i, cy));
        await TouchAsync(cdp, "touchEnd");
        double zoom = await page.EvaluateAsync<double>("() => window.dinoSeg.state.zoom");
        Assert.InRange(zoom, 2.4, 2.6); // the fingers went from 40 px apart to 100
        Assert.Equal(box, await driver.BoxAsync());

        // A pen's tap is a click too, at the right pixel of the zoomed view.
        var (px, py) = await driver.PointAsync(300, 200);
        before = await driver.MaskVersionAsync();
        foreach (string type in new[] { "mousePressed", "mouseReleased" })
        {
            await cdp.SendAsync("Input.dispatchMouseEvent", new Dictionary<string, object>
            {
                ["type"] = type,
                ["x"] = px,
                ["y"] = py,
                ["button"] = "left",
                ["buttons"] = type == "mousePressed" ? 1 : 0,
                ["clickCount"] = 1,
                ["pointerType"] = "pen",
            });
        }

        await driver.WaitMaskAfterAsync(before);
        seed = (await driver.SeedsAsync())[0];
        Assert.InRange(seed[0], 299, 301);
        Assert.InRange(seed[1], 199, 201);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        string[] types = await page.EvaluateAsync<string[]>("() => window.pointerTypes");
        Assert.Contains("touch", types);
        Assert.Contains("pen", types);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task KeyboardOnly_TabToTheImage_ArrowsMoveTheCursor_EnterPlacesSeeds()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await page.EvaluateAsync("() => document.activeElement.blur()");
        for (int i = 0; i < 40 && await page.EvaluateAsync<string>("() => document.activeElement.id") != "image"; i++) await page.Keyboard.PressAsync("Tab");
        Assert.Equal("image", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).boxShadow"));

        // The first arrow shows the cursor at the centre (225, 150); steps are 5 px (a 60th of the shorter side), Shift 1 px.
        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal(new[] { 225, 150 }, await CursorAsync(page));
        await PressTimesAsync(page, "ArrowLeft", 10);
        await PressTimesAsync(page, "Shift+ArrowLeft", 3);
        await PressTimesAsync(page, "ArrowUp", 7);
        Assert.Equal(new[] { 172, 115 }, await CursorAsync(page));
        await driver.PressAndWaitMaskAsync("Enter");
        Assert.Equal([[172, 115]], await driver.SeedsAsync());
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        await driver.ScreenshotAsync("keyboard-seed.png");

        // Shift+Enter adds a seed at the other eye; Alt+Enter a negative there instead after an undo.
        await PressTimesAsync(page, "ArrowRight", 29);
        await PressTimesAsync(page, "Shift+ArrowRight", 1);
        await PressTimesAsync(page, "ArrowDown", 4);
        await PressTimesAsync(page, "Shift+ArrowDown", 2);
        await driver.PressAndWaitMaskAsync("Shift+Enter");
        Assert.Equal([[172, 115], [318, 137]], await driver.SeedsAsync());
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await driver.PressAndWaitMaskAsync("Control+z");
        await driver.PressAndWaitMaskAsync("Alt+Enter");
        Assert.Equal([[318, 137]], await driver.NegativesAsync());
        Assert.Equal(0, await driver.MaskAtAsync(318, 137));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Zoom_ButtonsWheelAndPan_ClicksStillMapToTheImagePixel()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        ILocator canvas = page.Locator("#image");
        double fitted = (await canvas.BoundingBoxAsync())!.Width;

        await page.Locator("#zoom-in").ClickAsync();
        await page.Locator("#zoom-in").ClickAsync();
        Assert.Equal(fitted * 2.25, (await canvas.BoundingBoxAsync())!.Width, 0.5);
        await Assertions.Expect(page.Locator("#zoom-value")).ToHaveTextAsync("225 %");
        await driver.ClickAsync(172, 115); // asserts the seed is within a pixel of (172, 115)
        Assert.Equal(255, await driver.MaskAtAsync(172, 115));
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        // The wheel zooms about the pointer: the image pixel under it stays under it.
        var (x, y) = await driver.PointAsync(200, 130);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.WheelAsync(0, -300);
        await page.WaitForFunctionAsync("z => window.dinoSeg.state.zoom > z", 2.3);
        var (x2, y2) = await driver.PointAsync(200, 130);
        Assert.Equal(x, x2, 1.0);
        Assert.Equal(y, y2, 1.0);
        await driver.ScreenshotAsync("zoomed.png");

        // A right-button drag pans by the drag; a click afterwards still lands on its pixel.
        double left = (await canvas.BoundingBoxAsync())!.X;
        await page.Mouse.DownAsync(new MouseDownOptions { Button = MouseButton.Right });
        await page.Mouse.MoveAsync(x + 60, y, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync(new MouseUpOptions { Button = MouseButton.Right });
        Assert.Equal(left + 60, (await canvas.BoundingBoxAsync())!.X, 1.0);
        await driver.ClickAsync(210, 140);
        Assert.Equal(0, await driver.MaskDifferenceFromLibraryAsync());

        await page.Keyboard.PressAsync("0");
        Assert.Equal(fitted, (await canvas.BoundingBoxAsync())!.Width, 0.5);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SlowClick_ShowsTheBusyState_UntilTheMaskIsDrawn()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/similarity-map", async route =>
        {
            await release.Task;
            await route.ContinueAsync();
        });

        int before = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(172, 115);
        await Assertions.Expect(page.Locator("#busy")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#busy")).ToContainTextAsync("Segmenting");
        await Assertions.Expect(page.Locator("#main-view")).ToHaveAttributeAsync("aria-busy", "true");
        release.SetResult();
        await driver.WaitMaskAfterAsync(before);
        await Assertions.Expect(page.Locator("#busy")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#main-view")).Not.ToHaveAttributeAsync("aria-busy", "true");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Exports_LinksCarryThePrompt_AndTheZipHoldsEveryFile()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.ClickAsync(172, 115);
        await driver.SetThresholdAsync(0.3);

        foreach (string format in new[] { "geojson", "svg", "rle", "coco", "yolo", "zip" })
        {
            string href = (await page.Locator($"a.download[data-export=\"{format}\"]").GetAttributeAsync("href"))!;
            Assert.Contains($"/exports/{format}?seeds=", href, StringComparison.Ordinal);
            Assert.EndsWith("threshold=0.3", href, StringComparison.Ordinal);
        }

        IDownload soft = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.download[data-view=\"soft-mask\"]").ClickAsync());
        Assert.Equal("chelsea-soft-mask.png", soft.SuggestedFilename);
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.Locator("a.download[data-export=\"zip\"]").ClickAsync());
        Assert.Equal("chelsea-exports.zip", download.SuggestedFilename);
        string path = Path.Combine(WebFixture.OutputDirectory, download.SuggestedFilename);
        await download.SaveAsAsync(path);
        using ZipArchive zip = ZipFile.OpenRead(path);
        Assert.Equal(["coco.json", "cutout.png", "mask.geojson", "mask.png", "mask.rle.json", "mask.svg", "mask.yolo.txt", "overlay.png", "prompt.json", "soft-mask.png"],
            zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal).ToArray());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Accessibility_EveryControlIsNamed_TextHasContrast_KeyboardFocusIsVisible()
    {
        IPage page = await web.OpenPageAsync();
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.ClickAsync(172, 115);

        string[] unnamed = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input, select, button, canvas, a')]
              .filter(e => !(e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim() || e.title))
              .map(e => e.id || e.outerHTML.slice(0, 80))
            """);
        Assert.Empty(unnamed);

        // WCAG AA: 4.5:1 for text, against the first opaque background behind it.
        string[] lowContrast = await page.EvaluateAsync<string[]>(ContrastCheck,
            new[] { "h1 span", "#status", "#area", "#timing", "figcaption small", ".keys li", ".exports h2 small", "a.download[data-export=\"zip\"]",
                "a.download[data-view=\"mask\"]", "#redo", "#undo", "#auto-threshold", "kbd", "#colorbar .threshold span" });
        Assert.Empty(lowContrast);

        // Tab reaches the controls and the image, each with the focus ring.
        await page.EvaluateAsync("() => document.activeElement.blur()");
        var ringed = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            string id = await page.EvaluateAsync<string>("() => document.activeElement.id");
            string? shadow = await page.EvaluateAsync<string>("() => { const e = document.activeElement; return getComputedStyle(e).boxShadow + ' ' + getComputedStyle(e.id === 'file' ? e.previousElementSibling : e).boxShadow; }");
            if (shadow.Contains("rgb(255, 191, 71)", StringComparison.Ordinal)) ringed.Add(id);
            if (id == "image") break;
        }

        foreach (string id in new[] { "sample", "file", "auto-threshold", "undo", "negative-mode", "opacity", "zoom-in", "image" }) Assert.Contains(id, ringed);
        await page.Context.CloseAsync();
    }

    /// <summary>The selectors (each element they match) whose text contrast is below 4.5:1, with the ratio.</summary>
    private const string ContrastCheck = """
        selectors => {
          const rgb = text => text.match(/[\d.]+/g).map(Number);
          const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
            .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
          const background = e => {
            for (; e; e = e.parentElement) {
              const c = rgb(getComputedStyle(e).backgroundColor);
              if (c.length < 4 || c[3] > 0.9) return c;
            }
            return [255, 255, 255];
          };
          const low = [];
          for (const selector of selectors) {
            for (const e of document.querySelectorAll(selector)) {
              if (!e.textContent.trim()) continue;
              const a = lum(rgb(getComputedStyle(e).color)), b = lum(background(e));
              const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
              if (ratio < 4.5) low.push(`${selector}: ${ratio.toFixed(2)}`);
            }
          }
          return low;
        }
        """;

    [Theory]
    [InlineData(1366, 768)]
    [InlineData(1920, 1080)]
    public async Task Layout_EverythingInTheWindow_ScreenshotForTheReadme(int width, int height)
    {
        IPage page = await web.OpenPageAsync(width, height);
        var driver = new PageDriver(page);
        await driver.PickSampleAsync("chelsea.png");
        await driver.ClickAsync(172, 115);
        string name = $"web-{width}x{height}.png";
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.OutputDirectory, name) });

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth"),
            "the page scrolls");
        foreach (string selector in new[] { "#image", "#heatmap", "#mask", "#cutout", ".exports", ".keys", "#threshold", "#undo", "#area" })
        {
            LocatorBoundingBoxResult box = (await page.Locator(selector).BoundingBoxAsync())!;
            Assert.True(box.Y >= 0 && box.Y + box.Height <= height + 0.5 && box.X + box.Width <= width + 0.5,
                $"{selector} at {box.X},{box.Y} {box.Width}x{box.Height} is outside the {width}x{height} window");
        }

        // The main view is the big one.
        LocatorBoundingBoxResult main = (await page.Locator("#image").BoundingBoxAsync())!, mask = (await page.Locator("#mask").BoundingBoxAsync())!;
        Assert.True(main.Width > 2.5 * mask.Width, $"main view {main.Width} px wide, mask {mask.Width} px");
        // Only a layout that passed becomes the README's picture.
        File.Copy(Path.Combine(WebFixture.OutputDirectory, name), Path.Combine(TestPaths.RepositoryRoot(), "docs", "images", name), overwrite: true);
        await page.Context.CloseAsync();
    }

    private static async Task ClickAndWaitAsync(PageDriver driver, int x, int y)
    {
        int before = await driver.MaskVersionAsync();
        await driver.ClickOnlyAsync(x, y);
        await driver.WaitMaskAfterAsync(before);
    }

    private static Task<int[]> CursorAsync(IPage page) => page.EvaluateAsync<int[]>("() => { const c = window.dinoSeg.state.cursor; return c && [c.x, c.y]; }");

    private static async Task PressTimesAsync(IPage page, string key, int times)
    {
        for (int i = 0; i < times; i++) await page.Keyboard.PressAsync(key);
    }

    /// <summary>A touch event with the given fingers (none: all lifted), as the DevTools protocol dispatches it.</summary>
    private static Task TouchAsync(ICDPSession cdp, string type, params (float X, float Y)[] fingers) =>
        cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
        {
            ["type"] = type,
            ["touchPoints"] = fingers.Select((f, i) => new Dictionary<string, object> { ["x"] = f.X, ["y"] = f.Y, ["id"] = i }).ToArray(),
        });
}
