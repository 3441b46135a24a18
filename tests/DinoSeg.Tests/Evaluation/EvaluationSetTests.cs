using DinoSeg.Evaluation;
using SixLabors.ImageSharp;

namespace DinoSeg.Tests.Evaluation;

public sealed class EvaluationSetTests : IDisposable
{
    private static readonly string EvalSet = Path.Combine(AppContext.BaseDirectory, "EvalSet");
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-evalset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_CommittedSet_FindsThePhotosAndTheCompositesAsGroups_WithMatchingMasks()
    {
        IReadOnlyList<EvaluationItem> items = EvaluationSet.Load(EvalSet);

        Assert.Equal(7, items.Count(i => i.Group == "composites"));
        Assert.True(items.Count(i => i.Group == "photos") >= 30, $"{items.Count(i => i.Group == "photos")} photos");
        Assert.Equal(["composites", "photos"], items.Select(i => i.Group).Distinct());
        Assert.Contains(items, i => i.Name == "coins" && i.Group == "photos" && i.ImagePath.EndsWith(Path.Combine("photos", "coins.png"), StringComparison.Ordinal));
        Assert.Contains(items, i => i.Name == "rocket-sky" && i.ImagePath.EndsWith("rocket-sky.jpg", StringComparison.Ordinal));
        foreach (EvaluationItem item in items)
        {
            var info = Image.Identify(item.ImagePath);
            byte[] mask = item.LoadMask(info.Width, info.Height);
            Assert.InRange(mask.Count(b => b == 255) / (double)mask.Length, 0.003, 0.9);
            Assert.True(Math.Max(info.Width, info.Height) <= 512);
        }
    }

    [Fact]
    public void Load_PairsAtTheTopAndInSubfolders_GroupsBySubfolder()
    {
        string photos = Path.Combine(EvalSet, "photos");
        File.Copy(Path.Combine(photos, "coins.png"), Path.Combine(_dir, "top.png"));
        File.Copy(Path.Combine(photos, "coins.mask.png"), Path.Combine(_dir, "top.mask.png"));
        Directory.CreateDirectory(Path.Combine(_dir, "b"));
        File.Copy(Path.Combine(photos, "coins.png"), Path.Combine(_dir, "b", "x.png"));
        File.Copy(Path.Combine(photos, "coins.mask.png"), Path.Combine(_dir, "b", "x.mask.png"));
        Directory.CreateDirectory(Path.Combine(_dir, "a-empty"));

        IReadOnlyList<EvaluationItem> items = EvaluationSet.Load(_dir);

        Assert.Equal([("", "top"), ("b", "x")], items.Select(i => (i.Group, i.Name)));
    }

    [Fact]
    public void Load_MaskWithoutImage_OrEmptyFolder_Throws()
    {
        Assert.Throws<DinoSegImageException>(() => EvaluationSet.Load(_dir));
        File.Copy(Path.Combine(EvalSet, "photos", "coins.mask.png"), Path.Combine(_dir, "lonely.mask.png"));
        var e = Assert.Throws<DinoSegImageException>(() => EvaluationSet.Load(_dir));
        Assert.Contains("lonely.png", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => EvaluationSet.Load(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public void LoadMask_OfAnotherSize_Throws()
    {
        var item = new EvaluationItem("coins", Path.Combine(EvalSet, "photos", "coins.png"), Path.Combine(EvalSet, "photos", "coins.mask.png"));
        Assert.Throws<DinoSegImageException>(() => item.LoadMask(100, 100));
    }

    [Fact]
    public void Evaluator_TexturedSquare_OneClickFindsMostOfIt_AndClicksImproveIt()
    {
        IFeatureExtractor extractor = EmbeddedBackbone.Extractor;
        var item = EvaluationSet.Load(EvalSet).Single(i => i.Name == "gravel-square-on-grass");
        var evaluator = new Evaluator(extractor, new SimilaritySegmenter(SegmentationOptions.Default with { ComputeSoftMask = false }), threshold: null);

        ImageScore score = evaluator.Evaluate(item);

        Assert.InRange(score.FirstClickIoU, 0.6, 1.0);
        Assert.InRange(score.FirstClickThreshold, -1f, 1f);
        Assert.True(score.Clicks[0].Positive);
        Assert.True(score.FinalIoU >= score.FirstClickIoU);
        Assert.InRange(score.NoC85, 1, score.NoC90);
        // The first click is the square's deepest point: its centre (250, 200), to a pixel.
        Assert.InRange(score.Clicks[0].Point.X, 249, 251);
        Assert.InRange(score.Clicks[0].Point.Y, 199, 201);
    }

    [Fact]
    public void Evaluator_Report_AveragesThePerImageScores()
    {
        ImageScore a = new("a", 1, 1, 0.5, 0.1f, 2, 4, 0.95, []), b = new("b", 1, 1, 0.7, 0.1f, 4, 20, 0.8, []);
        var report = new EvaluationReport([a, b], 20);

        Assert.Equal(0.6, report.MeanFirstClickIoU, 12);
        Assert.Equal(3, report.MeanNoC85);
        Assert.Equal(12, report.MeanNoC90);
        Assert.Equal(1, report.FailuresAt90);
    }

    [Fact]
    public void Evaluator_Report_GroupsAndIoUAfterEachClick()
    {
        ImageScore a = new("a", 1, 1, 0.5, 0.1f, 2, 4, 0.95, []) { Group = "g1", IoUs = [0.5, 0.7, 0.95] };
        ImageScore b = new("b", 1, 1, 0.7, 0.1f, 1, 1, 0.92, []) { Group = "g2", IoUs = [0.92] };
        ImageScore c = new("c", 1, 1, 0.1, 0.1f, 20, 20, 0.3, []) { Group = "g1", IoUs = [0.1, 0.3] };
        var report = new EvaluationReport([a, b, c], 20);

        Assert.Equal((0.7 + 0.92 + 0.3) / 3, report.MeanIoUAfter(2), 12); // b stopped after one click: its last IoU counts
        Assert.Equal((0.95 + 0.92 + 0.3) / 3, report.MeanIoUAfter(5), 12);
        Assert.Equal(["g1", "g2"], report.Groups.Select(g => g.Name));
        Assert.Equal(0.3, report.Groups[0].Report.MeanFirstClickIoU, 12);
        Assert.Single(report.Groups[1].Report.Images);
        Assert.Throws<ArgumentOutOfRangeException>(() => report.MeanIoUAfter(0));
    }
}
