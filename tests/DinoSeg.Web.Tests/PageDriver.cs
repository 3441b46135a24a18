using System.Globalization;
using Microsoft.Playwright;

namespace DinoSeg.Web.Tests;

/// <summary>What a person does on the page, and what the tests read back from it.</summary>
internal sealed class PageDriver(IPage page)
{
    public IPage Page { get; } = page;

    public Task<int> MaskVersionAsync() => Page.EvaluateAsync<int>("() => Number(document.body.dataset.maskVersion)");

    /// <summary>The open image's id and size as the page knows them.</summary>
    public async Task<(string Id, int Width, int Height)> ImageAsync()
    {
        var image = await Page.EvaluateAsync<ImageState>("() => { const i = window.dinoSeg.state.image; return { id: i.id, width: i.width, height: i.height }; }");
        return (image.Id, image.Width, image.Height);
    }

    /// <summary>The seeds the page holds, as [x, y] image pixels.</summary>
    public Task<int[][]> SeedsAsync() => Page.EvaluateAsync<int[][]>("() => window.dinoSeg.state.seeds.map(p => [p.x, p.y])");

    /// <summary>
    /// Unticks "Refine edges" (on by default: the page's click refines like the library's): the plain mask, the map
    /// thresholded in the browser, for the tests of the page's own slider and region filter.
    /// </summary>
    public Task UnrefinedAsync() => Page.Locator("#refine").UncheckAsync();

    /// <summary>The threshold of the mask the page shows: a server-refined mask's own (an Auto click's is off the slider's grid), else the slider's.</summary>
    public Task<double> ShownThresholdAsync() =>
        Page.EvaluateAsync<double>("() => window.dinoSeg.state.serverMask?.threshold ?? Number(document.getElementById('threshold').value)");

    public async Task PickSampleAsync(string name)
    {
        await Page.Locator("#sample").SelectOptionAsync(name);
        await WaitOpenedAsync(name);
    }

    public async Task UploadAsync(string path)
    {
        await Page.Locator("#file").SetInputFilesAsync(path);
        await WaitOpenedAsync(Path.GetFileName(path));
    }

    public async Task WaitOpenedAsync(string name) =>
        await Page.WaitForFunctionAsync(
            "name => document.body.dataset.state === 'ready' && window.dinoSeg.state.image?.name === name && window.dinoSeg.state.levels === null", name);

    /// <summary>
    /// Clicks image pixel (x, y) on a view canvas and waits until the mask has been redrawn. Views are shown scaled and
    /// mouse events carry whole CSS pixels, so the page's seed may be an image pixel or two off: checked here, and the tests compare
    /// against the page's own seeds.
    /// </summary>
    public async Task ClickAsync(int x, int y, string canvas = "#image", KeyboardModifier[]? modifiers = null)
    {
        int before = await MaskVersionAsync();
        int slack = await ClickOnlyAsync(x, y, canvas, modifiers);
        await WaitMaskAfterAsync(before);
        int[] seed = (await SeedsAsync())[^1];
        Assert.InRange(seed[0], x - slack, x + slack);
        Assert.InRange(seed[1], y - slack, y + slack);
    }

    /// <summary>Clicks image pixel (x, y), aiming at its centre in the canvas's displayed (scaled) box.</summary>
    /// <returns>How many image pixels one CSS pixel spans there (rounded up): how far off the page's seed may be.</returns>
    public async Task<int> ClickOnlyAsync(int x, int y, string canvas = "#image", KeyboardModifier[]? modifiers = null)
    {
        ILocator target = Page.Locator(canvas);
        var (_, width, height) = await ImageAsync();
        LocatorBoundingBoxResult box = (await target.BoundingBoxAsync())!;
        await target.ClickAsync(new LocatorClickOptions
        {
            Position = new Position { X = (float)((x + 0.5) * box.Width / width), Y = (float)((y + 0.5) * box.Height / height) },
            Modifiers = modifiers ?? [],
        });
        return (int)Math.Ceiling(Math.Max(width / box.Width, 1));
    }

    /// <summary>Drags from image pixel (x0, y0) to (x1, y1) on a view with the real mouse and waits for the mask.</summary>
    public async Task DragAsync(int x0, int y0, int x1, int y1, string canvas = "#image")
    {
        int before = await MaskVersionAsync();
        var (_, width, height) = await ImageAsync();
        LocatorBoundingBoxResult box = (await Page.Locator(canvas).BoundingBoxAsync())!;
        float X(int x) => (float)(box.X + (x + 0.5) * box.Width / width);
        float Y(int y) => (float)(box.Y + (y + 0.5) * box.Height / height);
        await Page.Mouse.MoveAsync(X(x0), Y(y0));
        await Page.Mouse.DownAsync();
        await Page.Mouse.MoveAsync(X(x1), Y(y1), new MouseMoveOptions { Steps = 8 });
        await Page.Mouse.UpAsync();
        await WaitMaskAfterAsync(before);
    }

    /// <summary>Where image pixel (x, y)'s centre is on the page, in CSS pixels from the viewport's corner.</summary>
    public async Task<(float X, float Y)> PointAsync(int x, int y, string canvas = "#image")
    {
        var (_, width, height) = await ImageAsync();
        LocatorBoundingBoxResult box = (await Page.Locator(canvas).BoundingBoxAsync())!;
        return ((float)(box.X + (x + 0.5) * box.Width / width), (float)(box.Y + (y + 0.5) * box.Height / height));
    }

    /// <summary>Presses a key (or chord such as Control+z) on whatever has the focus and waits for the mask to be redrawn.</summary>
    public async Task PressAndWaitMaskAsync(string key)
    {
        int before = await MaskVersionAsync();
        await Page.Keyboard.PressAsync(key);
        await WaitMaskAfterAsync(before);
    }

    /// <summary>The box the page holds, as [x0, y0, x1, y1], or null.</summary>
    public Task<int[]?> BoxAsync() =>
        Page.EvaluateAsync<int[]?>("() => { const b = window.dinoSeg.state.box; return b && [b.x0, b.y0, b.x1, b.y1]; }");

    /// <summary>The negative seeds the page holds, as [x, y] image pixels.</summary>
    public Task<int[][]> NegativesAsync() => Page.EvaluateAsync<int[][]>("() => window.dinoSeg.state.negatives.map(p => [p.x, p.y])");

    public async Task WaitMaskAfterAsync(int version) =>
        await Page.WaitForFunctionAsync("v => Number(document.body.dataset.maskVersion) > v", version);

    /// <summary>Moves the slider to <paramref name="threshold"/> as a script would (one input event) and waits for the mask.</summary>
    public async Task SetThresholdAsync(double threshold)
    {
        int before = await MaskVersionAsync();
        await Page.EvaluateAsync("t => { const s = document.getElementById('threshold'); s.value = String(t); s.dispatchEvent(new Event('input', { bubbles: true })); }", threshold);
        await WaitMaskAfterAsync(before);
    }

    /// <summary>One arrow key on the focused slider (a real, trusted input event): one 0.01 step.</summary>
    public async Task StepSliderAsync(string key)
    {
        int before = await MaskVersionAsync();
        await Page.Locator("#threshold").PressAsync(key);
        await WaitMaskAfterAsync(before);
    }

    public async Task<double> ThresholdAsync() =>
        double.Parse(await Page.Locator("#threshold").InputValueAsync(), CultureInfo.InvariantCulture);

    public async Task<int> SelectedPixelsAsync() =>
        int.Parse(await Page.Locator("#area").GetAttributeAsync("data-selected-pixels") ?? "", CultureInfo.InvariantCulture);

    /// <summary>The page's mask value (0 or 255) at an image pixel.</summary>
    public Task<int> MaskAtAsync(int x, int y) =>
        Page.EvaluateAsync<int>("([x, y]) => document.getElementById('mask').getContext('2d').getImageData(x, y, 1, 1).data[0]", new[] { x, y });

    /// <summary>
    /// Pixels where the page's mask differs from the library's, fetched as the mask PNG for the page's own seeds and
    /// threshold and compared in the page.
    /// </summary>
    public Task<int> MaskDifferenceFromLibraryAsync() => Page.EvaluateAsync<int>("""
        async () => {
          const link = document.querySelector('a.download[data-view="mask"]');
          const image = new Image();
          image.src = link.href;
          await image.decode();
          const mine = document.getElementById('mask');
          const probe = document.createElement('canvas');
          probe.width = mine.width; probe.height = mine.height;
          const c = probe.getContext('2d');
          c.drawImage(image, 0, 0);
          const theirs = c.getImageData(0, 0, probe.width, probe.height).data;
          const ours = mine.getContext('2d').getImageData(0, 0, mine.width, mine.height).data;
          let differ = 0;
          for (let i = 0; i < ours.length; i += 4) if ((ours[i] > 127) !== (theirs[i] > 127)) differ++;
          return differ;
        }
        """);

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.OutputDirectory, name), FullPage = true });

    private sealed class ImageState
    {
        public string Id { get; set; } = "";

        public int Width { get; set; }

        public int Height { get; set; }
    }
}
