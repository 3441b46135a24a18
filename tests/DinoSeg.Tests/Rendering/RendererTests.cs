using DinoSeg.Rendering;
using DinoSeg.Tests.Segmentation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

public class RendererTests
{
    private const int W = SyntheticScene.Width, H = SyntheticScene.Height;

    [Fact]
    public void SimilarityHeatmap_SyntheticScene_IsImageHeightAndWiderByTheColourBar()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert
        Assert.Equal(H, heatmap.Height);
        Assert.Equal(ColorBarLayout.For(W, H).Width, heatmap.Width);
        Assert.True(heatmap.Width >= W + Math.Max(16, W / 40) + 6, $"width {heatmap.Width}");
    }

    [Fact]
    public void SimilarityHeatmap_MapPixels_AreViridisOfTheSimilarity()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        PixelPoint[] probes = [new(0, 0), new(5, 5), SyntheticScene.Seed, new(W / 2, H / 2), new(W - 1, H - 1), new(150, 20)];

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert
        foreach (PixelPoint p in probes)
        {
            Assert.Equal(Viridis.Map(result.Similarity[p.Y * W + p.X]), heatmap[p.X, p.Y]);
        }

        // The seed's own half is similar (yellow end), the other half is not (dark end).
        Assert.True(result.Similarity[5 * W + 5] > 0.9f);
        Assert.True(Viridis.IndexOf(result.Similarity[5 * W + 5]) > 240);
        Assert.True(Viridis.IndexOf(result.Similarity[(H - 5) * W + W - 5]) < 128);
    }

    [Fact]
    public void SimilarityHeatmap_ColourBar_RunsFromYellowAtTopToVioletAtBottom()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(threshold: 0f);
        var layout = ColorBarLayout.For(W, H);
        int x = layout.BarX0 + layout.BarWidth / 2;

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert
        Assert.Equal(Viridis.At(255), heatmap[x, layout.BarTop]);
        Assert.Equal(Viridis.At(0), heatmap[x, layout.BarBottom - 1]);
        Assert.Equal(new Rgb24(255, 255, 255), heatmap[W + 1, H / 2]);
    }

    [Theory]
    [InlineData(-0.8f)]
    [InlineData(0f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void SimilarityHeatmap_Threshold_DrawsRedLineAtItsRowOfTheColourBar(float threshold)
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(threshold: threshold);
        var layout = ColorBarLayout.For(W, H);
        int x = layout.BarX0 + layout.BarWidth / 2;
        double expectedRow = layout.BarTop + (1 - threshold) / 2 * (layout.BarBottom - layout.BarTop - 1);

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert: red across the bar on the threshold's row, plain gradient a few rows away.
        int row = layout.RowOf(threshold);
        Assert.InRange(row, expectedRow - 0.5, expectedRow + 0.5);
        for (int bx = layout.BarX0; bx < layout.BarX1; bx++) Assert.True(SyntheticScene.IsRed(heatmap[bx, row]), $"({bx}, {row})");
        var redRows = Enumerable.Range(0, H).Where(y => SyntheticScene.IsRed(heatmap[x, y])).ToArray();
        Assert.All(redRows, y => Assert.InRange(y, row - 2, row + 2));
        int away = row + 4 < layout.BarBottom ? row + 4 : row - 4;
        Assert.Equal(Viridis.Map(layout.ValueAt(away)), heatmap[x, away]);
    }

    [Fact]
    public void SimilarityHeatmap_Threshold_WritesItsValueInRed()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(threshold: 0.5f);
        var layout = ColorBarLayout.For(W, H);

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert: the label column holds red ink near the threshold row only.
        int row = layout.RowOf(0.5f);
        int redNear = 0, redFar = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = layout.LabelX; x < heatmap.Width; x++)
            {
                if (!SyntheticScene.IsRed(heatmap[x, y])) continue;
                if (Math.Abs(y - row) <= BitmapFont.CapHeight * layout.TextScale) redNear++;
                else redFar++;
            }
        }

        Assert.True(redNear > 20, $"{redNear} red label pixels");
        Assert.Equal(0, redFar);
    }

    [Fact]
    public void Mask_SyntheticScene_IsExactlyResultMaskAs0Or255()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();

        // Act
        using Image<L8> mask = Renderer.Mask(result);

        // Assert
        Assert.Equal((W, H), (mask.Width, mask.Height));
        var pixels = new byte[W * H];
        mask.CopyPixelDataTo(pixels);
        Assert.All(pixels, p => Assert.True(p is 0 or 255));
        Assert.Equal(result.Mask.ToArray(), pixels);
        Assert.Contains((byte)0, pixels);
        Assert.Contains((byte)255, pixels);
    }

    [Fact]
    public void SoftMask_WithSoftMask_IsSoftMaskTimes255Rounded()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        Assert.True(result.HasSoftMask);

        // Act
        using Image<L8> soft = Renderer.SoftMask(result);

        // Assert
        var pixels = new byte[W * H];
        soft.CopyPixelDataTo(pixels);
        for (int i = 0; i < pixels.Length; i++)
        {
            Assert.InRange(pixels[i] - Math.Round(result.GetSoftMask()[i] * 255.0, MidpointRounding.AwayFromZero), -1, 1);
        }

        Assert.Contains(pixels, p => p is > 0 and < 255);
    }

    [Fact]
    public void SoftMask_WithoutSoftMask_FallsBackToBinaryMask()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(TestOptions.Plain with { ComputeSoftMask = false });

        // Act
        using Image<L8> soft = Renderer.SoftMask(result);

        // Assert
        var pixels = new byte[W * H];
        soft.CopyPixelDataTo(pixels);
        Assert.Equal(result.Mask.ToArray(), pixels);
    }

    [Fact]
    public void Overlay_UnselectedPixelsAwayFromSeed_AreUnchanged()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);

        // Assert: every pixel with soft mask 0 that is well away from the seed marks keeps its colour.
        int checkedPixels = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                if (result.GetSoftMask()[y * W + x] != 0f || NearSeedMarks(result, x, y)) continue;
                Assert.Equal(photo[x, y], overlay[x, y]);
                checkedPixels++;
            }
        }

        Assert.True(checkedPixels > W * H / 4, $"{checkedPixels} unselected pixels checked");
    }

    [Fact]
    public void Overlay_SelectedPixels_AreTintedByOpacityTimesSoftMask()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        Rgb24 tint = OverlayStyle.Default.Color;

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);

        // Assert: colour = image + (tint - image) × 0.5 × soft mask, within rounding; most of the left half is fully on.
        int fullyOn = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                if (NearSeedMarks(result, x, y)) continue;
                float w = 0.5f * result.GetSoftMask()[y * W + x];
                Rgb24 src = photo[x, y], got = overlay[x, y];
                Assert.Equal(src.R + (tint.R - src.R) * w, got.R, 1.0);
                Assert.Equal(src.G + (tint.G - src.G) * w, got.G, 1.0);
                Assert.Equal(src.B + (tint.B - src.B) * w, got.B, 1.0);
                if (w > 0.499f) fullyOn++;
            }
        }

        Assert.True(fullyOn > W * H / 4, $"{fullyOn} fully selected pixels checked");
    }

    [Fact]
    public void Overlay_Seed_IsCircledInRedWithItsPatchOutlined()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        PixelPoint seed = SyntheticScene.Seed;
        int r = (int)Math.Round(SyntheticScene.SeedRadius(W, H));
        var (x0, y0, x1, y1) = result.Grid.PatchBounds(2, 1);

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);

        // Assert: red on the ring in four directions, on the patch square's four sides, and not in between.
        Assert.Equal((32, 64, 64, 96), (x0, y0, x1, y1));
        Assert.True(SyntheticScene.IsRed(overlay[seed.X + r, seed.Y]));
        Assert.True(SyntheticScene.IsRed(overlay[seed.X - r, seed.Y]));
        Assert.True(SyntheticScene.IsRed(overlay[seed.X, seed.Y + r]));
        Assert.True(SyntheticScene.IsRed(overlay[seed.X, seed.Y - r]));
        Assert.False(SyntheticScene.IsRed(overlay[seed.X + r + 4, seed.Y]));
        Assert.True(SyntheticScene.IsRed(overlay[(x0 + x1) / 2, y0]));
        Assert.True(SyntheticScene.IsRed(overlay[(x0 + x1) / 2, y1 - 1]));
        Assert.True(SyntheticScene.IsRed(overlay[x0, (y0 + y1) / 2]));
        Assert.True(SyntheticScene.IsRed(overlay[x1 - 1, (y0 + y1) / 2]));
        Assert.False(SyntheticScene.IsRed(overlay[x1 + 3, (y0 + y1) / 2]));
    }

    [Fact]
    public void Overlay_NegativeSeedInCyan_AndBoxOutlinedInGold()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.PromptResult();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        PixelPoint negative = SyntheticScene.Negative;
        PixelRect box = SyntheticScene.Box;
        int r = (int)Math.Round(SyntheticScene.SeedRadius(W, H));

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);
        using Image<Rgb24> bare = Renderer.Overlay(photo, result, OverlayStyle.Default with { DrawSeeds = false });

        // Assert: the negative's ring and patch square are cyan, the box's four sides gold, the positive still red.
        Assert.True(SyntheticScene.IsCyan(overlay[negative.X - r, negative.Y]));
        Assert.True(SyntheticScene.IsCyan(overlay[negative.X, negative.Y + r]));
        Assert.True(SyntheticScene.IsCyan(overlay[144, 32])); // top side of patch (1, 4)
        Assert.True(SyntheticScene.IsGold(overlay[(box.X0 + box.X1) / 2, box.Y0]));
        Assert.True(SyntheticScene.IsGold(overlay[(box.X0 + box.X1) / 2, box.Y1 - 1]));
        Assert.True(SyntheticScene.IsGold(overlay[box.X0, 100]));
        Assert.True(SyntheticScene.IsGold(overlay[box.X1 - 1, 100]));
        Assert.False(SyntheticScene.IsGold(overlay[box.X1 + 3, 100]));
        Assert.True(SyntheticScene.IsRed(overlay[SyntheticScene.Seed.X + r, SyntheticScene.Seed.Y]));
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                Assert.False(SyntheticScene.IsCyan(bare[x, y]) || SyntheticScene.IsGold(bare[x, y]), $"({x},{y}) is marked with DrawSeeds off");
            }
        }
    }

    [Fact]
    public void Overlay_DrawSeedsOff_LeavesNoRed()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result, OverlayStyle.Default with { DrawSeeds = false });

        // Assert
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++) Assert.False(SyntheticScene.IsRed(overlay[x, y]), $"({x}, {y})");
        }
    }

    [Fact]
    public void Overlay_OpacityZero_ChangesOnlySeedMarks()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result, OverlayStyle.Default with { Opacity = 0f });

        // Assert
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                if (!NearSeedMarks(result, x, y)) Assert.Equal(photo[x, y], overlay[x, y]);
            }
        }
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.1f)]
    [InlineData(float.NaN)]
    public void OverlayStyle_OpacityOutOfRange_Throws(float opacity)
    {
        // Arrange / Act / Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => OverlayStyle.Default with { Opacity = opacity });
    }

    [Fact]
    public void Overlay_BinaryMaskOnly_TintsWhereMaskIsSet()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(TestOptions.Plain with { ComputeSoftMask = false });
        using Image<Rgb24> photo = SyntheticScene.Photo();
        var style = OverlayStyle.Default with { DrawSeeds = false };

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result, style);

        // Assert
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                bool on = result.Mask[y * W + x] != 0;
                Assert.Equal(!on, photo[x, y] == overlay[x, y]);
            }
        }
    }

    [Fact]
    public void Cutout_SyntheticScene_HasImageColoursAndSoftMaskAlpha()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgba32> cutout = Renderer.Cutout(photo, result);

        // Assert
        Assert.Equal((W, H), (cutout.Width, cutout.Height));
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                Rgba32 c = cutout[x, y];
                Rgb24 p = photo[x, y];
                Assert.Equal((p.R, p.G, p.B), (c.R, c.G, c.B));
                Assert.Equal(result.GetSoftMask()[y * W + x] * 255.0, c.A, 0.5 + 1e-4);
            }
        }
    }

    [Fact]
    public void Cutout_WithoutSoftMask_UsesBinaryMaskAsAlpha()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(TestOptions.Plain with { ComputeSoftMask = false });
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgba32> cutout = Renderer.Cutout(photo, result);

        // Assert
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++) Assert.Equal(result.Mask[y * W + x], cutout[x, y].A);
        }
    }

    [Fact]
    public void Panel_SmallImage_KeepsImageHeightAndHoldsFiveViews()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        int heatmapWidth = ColorBarLayout.For(W, H).Width;

        // Act
        using Image<Rgb24> panel = Renderer.Panel(photo, result);

        // Assert: views at full height, a title row above, margins; white corners.
        Assert.InRange(panel.Height, H + 9 + 6, H + 60);
        Assert.InRange(panel.Width, 4 * W + heatmapWidth + 6 * 6, 4 * W + heatmapWidth + 6 * 40);
        Assert.Equal(new Rgb24(255, 255, 255), panel[0, 0]);
        Assert.Equal(new Rgb24(255, 255, 255), panel[panel.Width - 1, panel.Height - 1]);
    }

    [Fact]
    public void Panel_TallImage_ScalesViewsTo360Pixels()
    {
        // Arrange
        const int width = 600, height = 900;
        SegmentationResult result = SyntheticScene.Result(imageWidth: width, imageHeight: height);
        using Image<Rgb24> photo = SyntheticScene.Photo(width, height);
        const int viewHeight = Renderer.DefaultPanelViewHeight, viewWidth = 240;
        int heatmapWidth = ColorBarLayout.For(viewWidth, viewHeight).Width;

        // Act
        using Image<Rgb24> panel = Renderer.Panel(photo, result);

        // Assert
        Assert.InRange(panel.Height, viewHeight + 20, viewHeight + 80);
        Assert.InRange(panel.Width, 4 * viewWidth + heatmapWidth + 6 * 6, 4 * viewWidth + heatmapWidth + 6 * 40);
    }

    [Fact]
    public void Panel_MaxViewHeight_LimitsTheViews()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> panel = Renderer.Panel(photo, result, maxViewHeight: 64);

        // Assert
        Assert.InRange(panel.Height, 64 + 9 + 6, 64 + 40);
        Assert.InRange(panel.Width, 4 * 96 + ColorBarLayout.For(96, 64).Width, 4 * 96 + ColorBarLayout.For(96, 64).Width + 6 * 20);
    }

    [Fact]
    public void Panel_SmallImage_ShowsTheMaskViewInGrey()
    {
        // Arrange: at scale 1 the mask view is the mask; find it by the title layout's left-to-right order.
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();
        using Image<Rgb24> panel = Renderer.Panel(photo, result);

        // Act: scan a row through the middle of the views for a run of W pixels equal to the mask row.
        int bottomMargin = 6, y = panel.Height - bottomMargin - H + H / 2;
        int found = -1;
        for (int x0 = 0; x0 + W <= panel.Width && found < 0; x0++)
        {
            bool all = true;
            for (int x = 0; x < W && all; x++)
            {
                byte m = result.Mask[H / 2 * W + x];
                all = panel[x0 + x, y] == new Rgb24(m, m, m);
            }

            if (all) found = x0;
        }

        // Assert: the mask is the third view, after the original and the heatmap.
        Assert.True(found > 2 * W, $"mask view at x={found}");
    }

    [Fact]
    public void Renderers_ImageOfOtherSize_ThrowNamingImage()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo(W + 1, H);

        // Act / Assert
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => Renderer.Overlay(photo, result)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => Renderer.Cutout(photo, result)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => Renderer.Panel(photo, result)).ParamName);
    }

    [Fact]
    public void Renderers_NullArguments_Throw()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act / Assert
        Assert.Throws<ArgumentNullException>(() => Renderer.SimilarityHeatmap(null!));
        Assert.Throws<ArgumentNullException>(() => Renderer.Mask(null!));
        Assert.Throws<ArgumentNullException>(() => Renderer.SoftMask(null!));
        Assert.Throws<ArgumentNullException>(() => Renderer.Overlay(null!, result));
        Assert.Throws<ArgumentNullException>(() => Renderer.Cutout(photo, null!));
        Assert.Throws<ArgumentNullException>(() => Renderer.Panel(photo, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Renderer.Panel(photo, result, maxViewHeight: 0));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(17, 5)]
    public void AllRenderers_TinyImages_DoNotThrow(int width, int height)
    {
        // Arrange
        var features = PatchFeatures.FromVectors([1f, 0f], 1, 1, 2, 16, 16, 16, width, height, "tiny");
        SegmentationResult result = new SimilaritySegmenter(TestOptions.Plain).Segment(features, new PixelPoint(0, 0), 0.5f);
        using Image<Rgb24> photo = SyntheticScene.Photo(width, height);

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);
        using Image<Rgba32> cutout = Renderer.Cutout(photo, result);
        using Image<Rgb24> panel = Renderer.Panel(photo, result);

        // Assert
        Assert.Equal(height, heatmap.Height);
        Assert.True(panel.Width > 5 * width);
    }

    /// <summary>Whether (x, y) lies within a few pixels of a seed's ring or of its patch square.</summary>
    private static bool NearSeedMarks(SegmentationResult result, int x, int y)
    {
        double radius = SyntheticScene.SeedRadius(result.Width, result.Height) + 4;
        foreach (PixelPoint seed in result.Seeds)
        {
            double dx = x + 0.5 - (seed.X + 0.5), dy = y + 0.5 - (seed.Y + 0.5);
            if (dx * dx + dy * dy <= radius * radius) return true;
            var (row, col) = result.Grid.PatchAt(seed);
            var (x0, y0, x1, y1) = result.Grid.PatchBounds(row, col);
            if (x >= x0 - 3 && x < x1 + 3 && y >= y0 - 3 && y < y1 + 3) return true;
        }

        return false;
    }
}
