using DinoSeg.Evaluation;
using DinoSeg.GrabCut;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Tests.Segmentation.GrabCut;

/// <summary>
/// Against OpenCV 4.6's <c>cv2.grabCut</c> (5 rounds, GC_INIT_WITH_MASK) on evaluation photos, from the references that
/// tools/reference/make_grabcut_references.py wrote (trimaps and OpenCV's labels; Python is not needed to run these).
/// </summary>
public sealed class GrabCutReferenceTests
{
    /// <summary>The least IoU with OpenCV's result accepted; measured 0.9984, 0.9986 and 0.9997 (astronaut, coffee, chelsea).</summary>
    private const double MinIoU = 0.995;

    private static byte[] LoadGrey(string path)
    {
        using var image = Image.Load<L8>(path);
        var values = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(values);
        return values;
    }

    private static string Reference(string name, string kind) => TestPaths.Reference(Path.Combine("grabcut", $"{name}.{kind}.png"));

    [Theory]
    [InlineData("coffee")]
    [InlineData("chelsea-cat")]
    [InlineData("astronaut-person")]
    public void Run_OnOpenCvsTrimap_AgreesWithOpenCv(string name)
    {
        using var image = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "EvalSet", "photos", name + ".png"));
        RefinementGuide guide = RefinementGuide.FromImage(image);
        byte[] trimap = LoadGrey(Reference(name, "trimap")).Select(v => (byte)(v / 85)).ToArray();
        byte[] expected = LoadGrey(Reference(name, "opencv")), coarse = LoadGrey(Reference(name, "coarse"));

        var solver = new GrabCutSolver();
        bool ran = solver.Run(guide.Rgb, image.Width, image.Height, guide.Beta, trimap, 5, stopWhenStable: false);

        Assert.True(ran);
        byte[] mask = trimap.Select(t => t is GrabCutSolver.Foreground or GrabCutSolver.ProbablyForeground ? (byte)255 : (byte)0).ToArray();
        double iou = MaskMetrics.IoU(mask, expected), before = MaskMetrics.IoU(coarse, expected);
        Assert.True(iou >= MinIoU, $"{name}: IoU with OpenCV {iou:0.0000} (the coarse mask's {before:0.0000})");
        Assert.True(iou > before, $"{name}: IoU with OpenCV {iou:0.0000} is not above the coarse mask's {before:0.0000}");
    }

    [Fact]
    public void Run_ReusedSolver_GivesAFreshSolversLabels()
    {
        using var image = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "EvalSet", "photos", "coffee.png"));
        RefinementGuide guide = RefinementGuide.FromImage(image);
        byte[] trimap = LoadGrey(Reference("coffee", "trimap")).Select(v => (byte)(v / 85)).ToArray();
        byte[] other = LoadGrey(Reference("chelsea-cat", "trimap")).Select(v => (byte)(v / 85)).ToArray();
        using var otherImage = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "EvalSet", "photos", "chelsea-cat.png"));
        RefinementGuide otherGuide = RefinementGuide.FromImage(otherImage);

        byte[] fresh = trimap.ToArray(), reused = trimap.ToArray();
        new GrabCutSolver().Run(guide.Rgb, image.Width, image.Height, guide.Beta, fresh, 2);
        var solver = new GrabCutSolver();
        solver.Run(otherGuide.Rgb, otherImage.Width, otherImage.Height, otherGuide.Beta, other, 2);
        solver.Run(guide.Rgb, image.Width, image.Height, guide.Beta, reused, 2);

        Assert.Equal(fresh, reused);
    }

    [Fact]
    public void Run_SplitOverWorkersOrNot_GivesTheSameLabels()
    {
        // The contrast links, data terms, component choices (pixels and colour bins) and k-means labels run on the
        // workers; each pixel, bin or group of four is computed alone, so the split must not change a bit (on a one-core
        // machine both runs are sequential and the check is trivially true).
        using var image = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "EvalSet", "photos", "coffee.png"));
        RefinementGuide guide = RefinementGuide.FromImage(image);
        byte[] trimap = LoadGrey(Reference("coffee", "trimap")).Select(v => (byte)(v / 85)).ToArray();
        byte[] split = trimap.ToArray(), alone = trimap.ToArray();

        new GrabCutSolver().Run(guide.Rgb, image.Width, image.Height, guide.Beta, split, 5, stopWhenStable: false);
        new GrabCutSolver { Sequential = true }.Run(guide.Rgb, image.Width, image.Height, guide.Beta, alone, 5, stopWhenStable: false);

        Assert.Equal(alone, split);
    }

    [Theory]
    [InlineData("coffee")]
    [InlineData("astronaut-person")]
    public void FromMask_CoarseMask_EqualsOpenCvsErodeAndDilate(string name)
    {
        byte[] coarse = LoadGrey(Reference(name, "coarse")), expected = LoadGrey(Reference(name, "trimap"));
        using var image = Image.Load<L8>(Reference(name, "coarse"));
        int width = image.Width, height = image.Height;
        var trimap = new byte[width * height];

        Trimap.FromMask(coarse, width, height, Trimap.BandRadius(width, height), new int[Trimap.IntegralLength(width, height)], trimap);

        Assert.Equal(expected, trimap.Select(t => (byte)(t * 85)).ToArray());
    }

    [Fact]
    public void Run_TrimapWithoutUndecidedPixels_ReturnsFalseAndLeavesItAlone()
    {
        var rgb = new byte[3 * 16];
        byte[] trimap = [.. Enumerable.Repeat(GrabCutSolver.Background, 8), .. Enumerable.Repeat(GrabCutSolver.Foreground, 8)];
        byte[] before = trimap.ToArray();

        Assert.False(new GrabCutSolver().Run(rgb, 4, 4, 0, trimap, 5));
        Assert.Equal(before, trimap);
    }

    [Fact]
    public void Run_BadTrimapValue_Throws()
    {
        var trimap = new byte[16];
        trimap[3] = 7;
        Assert.Throws<ArgumentException>("trimap", () => new GrabCutSolver().Run(new byte[48], 4, 4, 0, trimap, 5));
    }
}
