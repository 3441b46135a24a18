using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Rendering;

/// <summary>
/// Turns a <see cref="SegmentationResult"/> into the notebook's views: the similarity heatmap with its colour bar, the
/// binary and soft masks, the overlay with the seeds, the cut-out, and all of them side by side in one panel.
/// </summary>
/// <remarks>
/// Every method returns a new image that the caller owns and must dispose. Stateless: thread-safe for distinct results, and
/// for one result as long as no thread segments into it (or reads its soft mask for the first time) meanwhile.
/// </remarks>
public static partial class Renderer
{
    /// <summary>Default largest view height in <see cref="Panel"/>; smaller images keep their own height.</summary>
    public const int DefaultPanelViewHeight = 360;

    private static readonly Rgb24 White = new(255, 255, 255);
    private static readonly Rgb24 Ink = new(20, 20, 20);
    private static readonly Rgb24 Frame = new(60, 60, 60);
    private static readonly Rgb24 Hairline = new(190, 190, 190);
    private static readonly Rgb24 ThresholdRed = new(255, 0, 0);
    private static readonly Rgb24 CheckerLight = new(238, 238, 238);
    private static readonly Rgb24 CheckerDark = new(204, 204, 204);
    private static readonly string[] Titles = ["Original", "Similarity", "Mask", "Overlay", "Cut-out"];
    private static readonly (float Value, string Label)[] Ticks = [(1f, "1"), (0.5f, "0.5"), (0f, "0"), (-0.5f, "-0.5"), (-1f, "-1")];

    /// <summary>
    /// Draws <paramref name="view"/> as its own method does (<c>Mask</c>, <c>SoftMask</c>, <c>SimilarityHeatmap</c>,
    /// <c>Overlay</c>, <c>Cutout</c> or <c>Panel</c>, default styles), for code that picks views by name or from a list
    /// (<see cref="ViewWriter.TryParseView"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="view"/> is not a defined view.</exception>
    public static Image Render(SegmentationView view, Image<Rgb24> image, SegmentationResult result) => view switch
    {
        SegmentationView.Mask => Mask(result),
        SegmentationView.SoftMask => SoftMask(result),
        SegmentationView.Similarity => SimilarityHeatmap(result),
        SegmentationView.Overlay => Overlay(image, result),
        SegmentationView.Cutout => Cutout(image, result),
        SegmentationView.Panel => Panel(image, result),
        _ => throw new ArgumentOutOfRangeException(nameof(view), view, "Unknown view."),
    };

    /// <summary>
    /// The similarity map at image size in viridis over [-1, 1], with a colour bar on the right whose red line and red
    /// label mark the threshold. The returned image is wider than the input by the colour bar's width.
    /// </summary>
    public static Image<Rgb24> SimilarityHeatmap(SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Heatmap(result.Similarity, result.Width, result.Height, result.Threshold);
    }

    /// <summary>
    /// The heatmap's colour scale, for clients that paint similarity themselves (a browser, a legend): matplotlib's
    /// viridis as 256 colours over [-1, 1], entry k at similarity −1 + 2k/255 (dark violet, teal at 0, yellow at +1).
    /// </summary>
    public static IReadOnlyList<Rgb24> HeatmapColors { get; } = [.. Enumerable.Range(0, Viridis.Size).Select(Viridis.At)];

    /// <summary>
    /// The heatmap colour of one similarity value, as <see cref="SimilarityHeatmap"/> paints it: the nearest entry of
    /// <see cref="HeatmapColors"/> (values outside [-1, 1] are clamped, NaN is −1).
    /// </summary>
    public static Rgb24 HeatmapColor(float similarity) => Viridis.Map(similarity);

    /// <summary>The binary mask at image size: 255 (white) where selected, 0 elsewhere.</summary>
    public static Image<L8> Mask(SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var image = new Image<L8>(result.Width, result.Height);
        ReadOnlySpan<byte> mask = result.Mask;
        for (int y = 0; y < result.Height; y++)
        {
            ReadOnlySpan<byte> src = mask.Slice(y * result.Width, result.Width);
            Span<byte> dst = MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span);
            for (int x = 0; x < src.Length; x++) dst[x] = src[x] == 0 ? (byte)0 : (byte)255;
        }

        return image;
    }

    /// <summary>The soft (feathered) mask at image size, × 255 and rounded; the binary mask when the result has no soft mask.</summary>
    public static Image<L8> SoftMask(SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.HasSoftMask) return Mask(result);
        var image = new Image<L8>(result.Width, result.Height);
        ReadOnlySpan<float> soft = result.GetSoftMask();
        for (int y = 0; y < result.Height; y++)
        {
            ReadOnlySpan<float> src = soft.Slice(y * result.Width, result.Width);
            Span<byte> dst = MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span);
            for (int x = 0; x < src.Length; x++) dst[x] = ToByte(src[x]);
        }

        return image;
    }

    /// <summary>
    /// The image with the mask laid over it in <see cref="OverlayStyle.Color"/> (opacity × soft mask, or × binary mask
    /// without a soft mask), and, unless turned off, the prompt: each seed as a circle with its patch outlined as a square
    /// (positives in <see cref="OverlayStyle.SeedColor"/>, negatives in <see cref="OverlayStyle.NegativeSeedColor"/>) and the
    /// box prompt's outline in <see cref="OverlayStyle.BoxColor"/>.
    /// </summary>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="style">Colours and opacity; <see cref="OverlayStyle.Default"/> when null.</param>
    /// <exception cref="ArgumentException"><paramref name="image"/> is not the size of <paramref name="result"/>.</exception>
    public static Image<Rgb24> Overlay(Image<Rgb24> image, SegmentationResult result, OverlayStyle? style = null)
    {
        Validate(image, result);
        style ??= OverlayStyle.Default;
        Image<Rgb24> overlay = image.Clone();
        if (result.HasSoftMask) Tint(overlay, result.GetSoftMask(), 1f, style);
        else Tint(overlay, result.Mask, 1f / 255, style);
        if (style.DrawSeeds) DrawPrompt(new Canvas(overlay), result, 1.0, style);
        return overlay;
    }

    /// <summary>The image as RGBA with alpha = soft mask × 255 (binary mask without a soft mask): only the selected region shows.</summary>
    /// <exception cref="ArgumentException"><paramref name="image"/> is not the size of <paramref name="result"/>.</exception>
    public static Image<Rgba32> Cutout(Image<Rgb24> image, SegmentationResult result)
    {
        Validate(image, result);
        var cutout = new Image<Rgba32>(result.Width, result.Height);
        int width = result.Width;
        ReadOnlySpan<float> soft = result.GetSoftMask();
        for (int y = 0; y < result.Height; y++)
        {
            ReadOnlySpan<Rgb24> src = image.DangerousGetPixelRowMemory(y).Span;
            Span<Rgba32> dst = cutout.DangerousGetPixelRowMemory(y).Span;
            if (result.HasSoftMask)
            {
                ReadOnlySpan<float> alpha = soft.Slice(y * width, width);
                for (int x = 0; x < width; x++) dst[x] = new Rgba32(src[x].R, src[x].G, src[x].B, ToByte(alpha[x]));
            }
            else
            {
                ReadOnlySpan<byte> alpha = result.Mask.Slice(y * width, width);
                for (int x = 0; x < width; x++) dst[x] = new Rgba32(src[x].R, src[x].G, src[x].B, alpha[x] == 0 ? (byte)0 : (byte)255);
            }
        }

        return cutout;
    }

    /// <summary>
    /// All views in one row, like the notebook: original with seeds, similarity heatmap with colour bar, mask, overlay and
    /// cut-out over a light checkerboard, each scaled to a common height with its title above, on white.
    /// </summary>
    /// <param name="image">The segmented image, the same size as the result.</param>
    /// <param name="result">The segmentation to draw.</param>
    /// <param name="style">Overlay colours and opacity; <see cref="OverlayStyle.Default"/> when null.</param>
    /// <param name="maxViewHeight">Views are min(image height, this) pixels high. Default <see cref="DefaultPanelViewHeight"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="image"/> is not the size of <paramref name="result"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxViewHeight"/> is less than 1.</exception>
    public static Image<Rgb24> Panel(Image<Rgb24> image, SegmentationResult result, OverlayStyle? style = null,
        int maxViewHeight = DefaultPanelViewHeight)
    {
        Validate(image, result);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxViewHeight, 1);
        style ??= OverlayStyle.Default;

        // Everything is drawn at the panel's scale, so text and seed marks stay crisp whatever the image size.
        int viewHeight = Math.Min(result.Height, maxViewHeight);
        double scale = (double)viewHeight / result.Height;
        int viewWidth = Math.Max(1, (int)Math.Round(result.Width * scale));
        int count = viewWidth * viewHeight;
        float[] similarity = new float[count], mask = new float[count], alpha = new float[count];
        AreaResampler.Resample(result.Similarity, result.Width, result.Height, similarity, viewWidth, viewHeight);
        AreaResampler.Resample(result.Mask, result.Width, result.Height, mask, viewWidth, viewHeight, 1f / 255);
        if (result.HasSoftMask) AreaResampler.Resample(result.GetSoftMask(), result.Width, result.Height, alpha, viewWidth, viewHeight);
        else mask.CopyTo(alpha, 0);

        var views = new Image<Rgb24>[Titles.Length];
        try
        {
            using Image<Rgb24>? resized = scale == 1.0 ? null : image.Clone(c => c.Resize(viewWidth, viewHeight));
            Image<Rgb24> small = resized ?? image;
            views[0] = small.Clone();
            if (style.DrawSeeds) DrawPrompt(new Canvas(views[0]), result, scale, style);
            views[1] = Heatmap(similarity, viewWidth, viewHeight, result.Threshold);
            views[2] = Grey(mask, viewWidth, viewHeight);
            views[3] = small.Clone();
            Tint(views[3], alpha, 1f, style);
            if (style.DrawSeeds) DrawPrompt(new Canvas(views[3]), result, scale, style);
            views[4] = small.Clone();
            OverChecker(views[4], alpha, Math.Max(4, viewHeight / 45));
            return Compose(views, viewHeight);
        }
        finally
        {
            foreach (Image<Rgb24>? view in views) view?.Dispose();
        }
    }

    /// <summary>Throws unless both are given and the image is the result's size.</summary>
    internal static void Validate(Image<Rgb24> image, SegmentationResult result)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(result);
        if (image.Width != result.Width || image.Height != result.Height)
        {
            throw new ArgumentException(
                $"The image is {image.Width}x{image.Height} but the result is {result.Width}x{result.Height}; pass the image that was segmented.",
                nameof(image));
        }
    }

    /// <summary>The heatmap with colour bar for a row-major similarity map of width × height.</summary>
    internal static Image<Rgb24> Heatmap(ReadOnlySpan<float> similarity, int width, int height, float threshold)
    {
        var layout = ColorBarLayout.For(width, height);
        var heatmap = new Image<Rgb24>(layout.Width, height);
        var canvas = new Canvas(heatmap);
        for (int y = 0; y < height; y++)
        {
            Span<Rgb24> row = canvas.Row(y);
            Viridis.Map(similarity.Slice(y * width, width), row);
            row[width..].Fill(White);
        }

        // The bar: a 1-pixel frame, the gradient (+1 at the top), ticks with labels, then the threshold on top of it all.
        canvas.StrokeRect(layout.BarX0 - 1, layout.BarTop - 1, layout.BarX1 + 1, layout.BarBottom + 1, 1, Frame);
        for (int y = layout.BarTop; y < layout.BarBottom; y++)
        {
            canvas.Row(y)[layout.BarX0..layout.BarX1].Fill(Viridis.Map(layout.ValueAt(y)));
        }

        int s = layout.TextScale, capHeight = BitmapFont.CapHeight * s;
        double rounded = Math.Round(threshold, 2, MidpointRounding.AwayFromZero);
        string label = "t=" + (rounded == 0 ? 0.0 : rounded).ToString("0.00", CultureInfo.InvariantCulture);
        int thresholdRow = layout.RowOf(threshold);
        int labelY = Math.Clamp(thresholdRow - capHeight / 2, 0, Math.Max(0, height - capHeight));
        int tickThickness = Math.Max(1, s / 2);
        foreach (var (value, text) in Ticks)
        {
            int row = layout.RowOf(value);
            canvas.FillRect(layout.BarX1 + 1, row - tickThickness / 2, layout.BarX1 + 1 + layout.TickLength, row - tickThickness / 2 + tickThickness, Ink);
            int y = row - capHeight / 2;
            if (Math.Abs(y - labelY) >= capHeight + s) canvas.Text(text, layout.LabelX, y, s, Ink);
        }

        int lineThickness = Math.Max(2, s);
        int top = thresholdRow - lineThickness / 2;
        canvas.FillRect(layout.BarX0 - Math.Min(layout.TickLength, layout.Margin - 2), top,
            layout.BarX1 + 1 + layout.TickLength, top + lineThickness, ThresholdRed);
        canvas.Text(label, layout.LabelX, labelY, s, ThresholdRed);
        return heatmap;
    }

    /// <summary>Blends <paramref name="style"/>'s colour into the image with opacity × alpha, alpha = value × <paramref name="scale"/> in [0, 1].</summary>
    private static void Tint<T>(Image<Rgb24> image, ReadOnlySpan<T> alpha, float scale, OverlayStyle style)
        where T : unmanaged, INumberBase<T>
    {
        int width = image.Width;
        float r = style.Color.R, g = style.Color.G, b = style.Color.B, opacity = style.Opacity * scale;
        for (int y = 0; y < image.Height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            ReadOnlySpan<T> a = alpha.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                float w = Math.Clamp(float.CreateTruncating(a[x]) * opacity, 0f, 1f);
                if (w == 0f) continue;
                ref Rgb24 p = ref row[x];
                p = new Rgb24(Blend(p.R, r, w), Blend(p.G, g, w), Blend(p.B, b, w));
            }
        }
    }

    /// <summary>Composites the image over a light checkerboard of <paramref name="cell"/>-pixel squares with alpha in [0, 1].</summary>
    private static void OverChecker(Image<Rgb24> image, ReadOnlySpan<float> alpha, int cell)
    {
        int width = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            ReadOnlySpan<float> a = alpha.Slice(y * width, width);
            int band = y / cell;
            for (int x = 0; x < width; x++)
            {
                Rgb24 back = ((x / cell + band) & 1) == 0 ? CheckerLight : CheckerDark;
                float w = Math.Clamp(a[x], 0f, 1f);
                ref Rgb24 p = ref row[x];
                p = new Rgb24(Blend(back.R, p.R, w), Blend(back.G, p.G, w), Blend(back.B, p.B, w));
            }
        }
    }

    /// <summary>A grey RGB image from values in [0, 1].</summary>
    private static Image<Rgb24> Grey(ReadOnlySpan<float> values, int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            ReadOnlySpan<float> v = values.Slice(y * width, width);
            for (int x = 0; x < width; x++)
            {
                byte g = ToByte(v[x]);
                row[x] = new Rgb24(g, g, g);
            }
        }

        return image;
    }

    /// <summary>
    /// The box outline, then each seed as a ring with a centre dot and its patch as a square outline, on an image
    /// <paramref name="scale"/> times the result's size. Marks grow with the image: ring radius ≈ 1/40 and line width ≈ 1/300
    /// of the shorter side, at least 4 and 2 px.
    /// </summary>
    private static void DrawPrompt(Canvas canvas, SegmentationResult result, double scale, OverlayStyle style)
    {
        int shorter = Math.Min(canvas.Width, canvas.Height);
        double radius = Math.Max(4.0, shorter / 40.0);
        int thickness = Math.Max(2, (int)Math.Round(shorter / 300.0));
        if (result.Box is PixelRect box) StrokeScaled(canvas, (box.X0, box.Y0, box.X1, box.Y1), scale, thickness, style.BoxColor);

        foreach (PixelPoint seed in result.NegativeSeeds) DrawSeed(canvas, result.Grid, seed, scale, radius, thickness, style.NegativeSeedColor);
        foreach (PixelPoint seed in result.Seeds) DrawSeed(canvas, result.Grid, seed, scale, radius, thickness, style.SeedColor);
    }

    private static void DrawSeed(Canvas canvas, PatchGrid grid, PixelPoint seed, double scale, double radius, int thickness, Rgb24 colour)
    {
        var (row, col) = grid.PatchAt(seed);
        StrokeScaled(canvas, grid.PatchBounds(row, col), scale, thickness, colour);
        double cx = (seed.X + 0.5) * scale, cy = (seed.Y + 0.5) * scale;
        canvas.Ring(cx, cy, radius, thickness, colour);
        canvas.Disc(cx, cy, thickness * 0.75, colour);
    }

    /// <summary>Lays the views out in one row with titles above, on white.</summary>
    private static Image<Rgb24> Compose(Image<Rgb24>[] views, int viewHeight)
    {
        int gap = Math.Max(6, viewHeight / 24);
        int textScale = Math.Max(1, (int)Math.Round(viewHeight / 180.0));
        int viewTop = gap + BitmapFont.LineHeight * textScale + gap / 2;
        int width = gap;
        foreach (Image<Rgb24> view in views) width += view.Width + gap;

        var panel = new Image<Rgb24>(width, viewTop + viewHeight + gap);
        var canvas = new Canvas(panel);
        canvas.Clear(White);
        int x = gap;
        for (int i = 0; i < views.Length; i++)
        {
            Image<Rgb24> view = views[i];
            for (int y = 0; y < view.Height; y++)
            {
                view.DangerousGetPixelRowMemory(y).Span.CopyTo(canvas.Row(viewTop + y)[x..]);
            }

            // A hairline frame and a centred title around the image part of each view (the heatmap's colour bar is extra
            // width on its right): a white mask region touching the edge would otherwise melt into the background.
            int over = i == 1 ? views[0].Width : view.Width;
            canvas.StrokeRect(x - 1, viewTop - 1, x + over + 1, viewTop + viewHeight + 1, 1, Hairline);
            int titleWidth = BitmapFont.Measure(Titles[i], textScale);
            canvas.Text(Titles[i], x + Math.Max(0, (over - titleWidth) / 2), gap, textScale, Ink);
            x += view.Width + gap;
        }

        return panel;
    }

    /// <summary>Outlines image rectangle [x0, x1) × [y0, y1) scaled onto the canvas, at least one pixel wide and high.</summary>
    private static void StrokeScaled(Canvas canvas, (int X0, int Y0, int X1, int Y1) r, double scale, int thickness, Rgb24 colour)
    {
        int x0 = Scale(r.X0, scale), y0 = Scale(r.Y0, scale);
        canvas.StrokeRect(x0, y0, Math.Max(Scale(r.X1, scale), x0 + 1), Math.Max(Scale(r.Y1, scale), y0 + 1), thickness, colour);
    }

    private static int Scale(int value, double scale) => (int)Math.Round(value * scale, MidpointRounding.AwayFromZero);

    private static byte Blend(float from, float to, float weight) => (byte)(from + (to - from) * weight + 0.5f);

    private static byte ToByte(float unit) => (byte)(Math.Clamp(unit, 0f, 1f) * 255f + 0.5f);
}
