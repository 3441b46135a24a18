using DinoSeg.Rendering;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Rendering;

/// <summary>
/// The rendered views of the fixed synthetic scene against committed PNGs (see <see cref="Golden"/>; regenerate with
/// <c>DINOSEG_UPDATE_GOLDEN=1 dotnet test --filter "FullyQualifiedName~Golden"</c>).
/// </summary>
public class GoldenImageTests
{
    [Fact]
    public void Panel_SyntheticScene_MatchesGolden()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> panel = Renderer.Panel(photo, result);

        // Assert
        Golden.AssertMatches(panel, "panel.png");
    }

    [Fact]
    public void Panel_SyntheticSceneScaledDown_MatchesGolden()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> panel = Renderer.Panel(photo, result, maxViewHeight: 80);

        // Assert
        Golden.AssertMatches(panel, "panel-scaled.png");
    }

    [Fact]
    public void Overlay_SyntheticSceneWithNegativeAndBox_MatchesGolden()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.PromptResult();
        using Image<Rgb24> photo = SyntheticScene.Photo();

        // Act
        using Image<Rgb24> overlay = Renderer.Overlay(photo, result);

        // Assert
        Golden.AssertMatches(overlay, "overlay-prompt.png");
    }

    [Fact]
    public void SimilarityHeatmap_SyntheticScene_MatchesGolden()
    {
        // Arrange
        SegmentationResult result = SyntheticScene.Result(threshold: 0.35f);

        // Act
        using Image<Rgb24> heatmap = Renderer.SimilarityHeatmap(result);

        // Assert
        Golden.AssertMatches(heatmap, "heatmap.png");
    }

    [Fact]
    public void Compare_ShiftedImage_ExceedsTolerance()
    {
        // Arrange: the comparison itself must catch a visible change.
        using Image<Rgb24> a = SyntheticScene.Photo();
        using Image<Rgb24> b = a.Clone();
        b[10, 10] = new Rgb24(0, 0, 0);
        using Image<Rgb24> c = SyntheticScene.Photo(SyntheticScene.Width + 1, SyntheticScene.Height);

        // Act
        var (same, sameMax) = Golden.Compare(a, a);
        var (_, changedMax) = Golden.Compare(a, b);
        var (resized, _) = Golden.Compare(a, c);

        // Assert
        Assert.Equal([0.0, 0.0, 0.0], same!);
        Assert.Equal(0, sameMax);
        Assert.True(changedMax > Golden.MaxPixelDifference);
        Assert.Null(resized);
    }

    [Fact]
    public void RepositoryRoot_FromTestAssembly_HoldsTheGoldenFolder()
    {
        // Arrange / Act
        string root = TestPaths.RepositoryRoot();

        // Assert
        Assert.True(Directory.Exists(Path.Combine(root, "src", "DinoSeg", "Rendering")));
        Assert.True(Directory.Exists(Golden.Directory), Golden.Directory);
    }
}
