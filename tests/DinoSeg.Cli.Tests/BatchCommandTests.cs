using System.Text.Json;
using DinoSeg.Tests.Shared;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg.Cli.Tests;

/// <summary><c>dinoseg batch</c> through the real process: outputs, resume, shards, partial failure and bad seed files.</summary>
public sealed class BatchCommandTests : IDisposable
{
    private static readonly string[] Photos = ["astronaut.jpg", "chelsea.png", "coffee.png", "rocket.jpg"];
    private readonly string _dir = Directory.CreateTempSubdirectory("dinoseg-cli-batch-").FullName;

    public BatchCommandTests()
    {
        Directory.CreateDirectory(Images);
        foreach (string photo in Photos) File.Copy(TestPaths.Image(photo), Path.Combine(Images, photo));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Images => Path.Combine(_dir, "images");

    private string Out => Path.Combine(_dir, "out");

    private string Seeds(string text, string name = "seeds.csv")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string AllSeeds = """
        image,x,y,threshold
        # two seeds for the cat: one per eye
        chelsea.png,172,115
        chelsea.png,318,137
        coffee.png,290,150,0.25
        rocket.jpg,320,200
        astronaut.jpg,250,250
        """;

    private static JsonElement Summary(ChildProcess.Outcome r)
    {
        Assert.True(r.ExitCode == 0, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        return doc.RootElement.Clone();
    }

    private static string[] Names(JsonElement summary, string property) =>
        [.. summary.GetProperty(property).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetProperty("image").GetString()!)];

    [Fact]
    public void Batch_Csv_WritesMaskAndResultPerImage_AndReportsProgressOnStderr()
    {
        var r = CliProcess.Run("batch", Images, "--seeds", Seeds(AllSeeds), "--out", Out, "--json");

        JsonElement summary = Summary(r);
        Assert.Equal(Photos, Names(summary, "done"));
        Assert.Empty(Names(summary, "skipped"));
        Assert.Equal(4, summary.GetProperty("images").GetInt32());
        Assert.Equal(["astronaut", "chelsea", "coffee", "rocket"], Directory.GetDirectories(Out).Select(Path.GetFileName).Order());
        foreach (string stem in new[] { "astronaut", "chelsea", "coffee", "rocket" })
        {
            Assert.Equal(["mask.png", "result.json"], Directory.GetFiles(Path.Combine(Out, stem)).Select(Path.GetFileName).Order());
        }

        using var mask = Image.Load<L8>(Path.Combine(Out, "chelsea", "mask.png"));
        Assert.Equal((451, 300), (mask.Width, mask.Height));
        Assert.Equal(255, mask[172, 115].PackedValue);
        Assert.Equal(255, mask[318, 137].PackedValue);
        using var result = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Out, "coffee", "result.json")));
        Assert.Equal(0.25, result.RootElement.GetProperty("request").GetProperty("threshold").GetDouble(), 6);
        Assert.Equal(0.25, result.RootElement.GetProperty("threshold").GetDouble(), 6);
        using var cat = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Out, "chelsea", "result.json")));
        Assert.Equal(2, cat.RootElement.GetProperty("request").GetProperty("seeds").GetArrayLength());
        // No threshold for the cat: the library's rule, recorded as asked ("auto") and as used (inside the ranked band).
        Assert.Equal("auto", cat.RootElement.GetProperty("request").GetProperty("threshold").GetString());
        Assert.InRange(cat.RootElement.GetProperty("threshold").GetDouble(), 0.3, 0.5);
        // stderr is a pipe here: one plain progress line per image, no bar.
        string[] progress = r.StdErr.TrimEnd().Split('\n');
        Assert.Equal(4, progress.Length);
        Assert.All(progress, line => Assert.StartsWith("dinoseg batch: [", line));
        Assert.DoesNotContain('\r', r.StdErr);
    }

    [Fact]
    public void Batch_Rerun_SkipsCompleteImages_RedoesMissingOrChangedOnes()
    {
        string seeds = Seeds(AllSeeds);
        Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));
        string chelseaMask = Path.Combine(Out, "chelsea", "mask.png");
        DateTime written = File.GetLastWriteTimeUtc(chelseaMask);

        JsonElement again = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));
        File.Delete(Path.Combine(Out, "rocket", "mask.png"));
        File.WriteAllText(Path.Combine(Out, "rocket", ".mask.png.0123.tmp"), "left by a killed run");
        Seeds(AllSeeds.Replace("coffee.png,290,150,0.25", "coffee.png,290,150,0.3"));
        JsonElement third = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));

        Assert.Empty(Names(again, "done"));
        Assert.Equal(Photos, Names(again, "skipped"));
        Assert.Equal(written, File.GetLastWriteTimeUtc(chelseaMask));
        Assert.Equal(["coffee.png", "rocket.jpg"], Names(third, "done"));
        Assert.Equal(["astronaut.jpg", "chelsea.png"], Names(third, "skipped"));
        Assert.Equal(["mask.png", "result.json"], Directory.GetFiles(Path.Combine(Out, "rocket")).Select(Path.GetFileName).Order());

        // Another working size gives other masks: every image is redone.
        JsonElement fourth = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--long-side", "384", "--json"));
        Assert.Equal(Photos, Names(fourth, "done"));
        Assert.Empty(Names(fourth, "skipped"));
    }

    [Fact]
    public void Batch_ImageWhoseStemIsDotDot_IsRefusedAndNothingOutsideOutIsTouched()
    {
        // "...png" has the stem "..": its outputs would land in the parent of --out, whose ".*.tmp" files the clean-up deletes.
        File.Copy(Path.Combine(Images, "coffee.png"), Path.Combine(Images, "...png"));
        string decoy = Path.Combine(_dir, ".keep.tmp");
        File.WriteAllText(decoy, "not the batch's");

        var r = CliProcess.Run("batch", Images, "--seeds", Seeds("...png,10,10\ncoffee.png,290,150\n"), "--out", Out, "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'...png' would write its outputs under '..'", r.StdErr);
        Assert.True(File.Exists(decoy));
        Assert.False(File.Exists(Path.Combine(_dir, "mask.png")));
        Assert.False(File.Exists(Path.Combine(_dir, "result.json")));
    }

    [Fact]
    public void Batch_OutputReplacedWithoutANewResult_IsRedoneNotSkipped()
    {
        // A run for another request replaced chelsea's mask and was stopped before its result.json: the old record
        // still matches this request, but it no longer describes the file beside it.
        string seeds = Seeds(AllSeeds);
        Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));
        string mask = Path.Combine(Out, "chelsea", "mask.png");
        byte[] ours = File.ReadAllBytes(mask);
        File.Copy(Path.Combine(Out, "coffee", "mask.png"), mask, overwrite: true);

        JsonElement again = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));

        Assert.Equal(["chelsea.png"], Names(again, "done"));
        Assert.Equal(ours, File.ReadAllBytes(mask));
    }

    [Theory]
    [InlineData("""{"request": null, "outputs": [null]}""")]
    [InlineData("""{"outputs": [null]}""")]
    [InlineData("""{"outputs": ["../../etc/passwd"]}""")]
    [InlineData("""[1, 2]""")]
    [InlineData("""not json""")]
    public void Batch_DamagedResultFile_RedoesThatImageOnly(string damaged)
    {
        string seeds = Seeds(AllSeeds);
        Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));
        File.WriteAllText(Path.Combine(Out, "rocket", "result.json"), damaged);

        JsonElement again = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json"));

        Assert.Equal(["rocket.jpg"], Names(again, "done"));
        Assert.Equal(["astronaut.jpg", "chelsea.png", "coffee.png"], Names(again, "skipped"));
    }

    [Fact]
    public void Batch_OneImageFailingToWrite_ExitsSevenAndWritesTheOthers()
    {
        Directory.CreateDirectory(Path.Combine(Out, "chelsea", "mask.png")); // a folder where the mask should go

        var r = CliProcess.Run("batch", Images, "--seeds", Seeds(AllSeeds), "--out", Out, "--json");

        Assert.Equal(7, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(["astronaut.jpg", "coffee.png", "rocket.jpg"], Names(doc.RootElement, "done"));
        Assert.Equal(["chelsea.png"], Names(doc.RootElement, "failed"));
        Assert.Contains("cannot write outputs", doc.RootElement.GetProperty("failed")[0].GetProperty("error").GetString());
        Assert.False(File.Exists(Path.Combine(Out, "chelsea", "result.json")));
    }

    [Fact]
    public void Batch_Shards_PartitionTheImagesExactly()
    {
        string seeds = Seeds(AllSeeds);
        var shards = new List<string[]>();
        for (int i = 0; i < 3; i++)
        {
            JsonElement summary = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--shard", $"{i}/3", "--json"));
            Assert.Equal(i, summary.GetProperty("shard").GetProperty("index").GetInt32());
            shards.Add(Names(summary, "done"));
        }

        // Ordinal order astronaut, chelsea, coffee, rocket; position modulo 3.
        Assert.Equal(["astronaut.jpg", "rocket.jpg"], shards[0]);
        Assert.Equal(["chelsea.png"], shards[1]);
        Assert.Equal(["coffee.png"], shards[2]);
        Assert.Equal(Photos, shards.SelectMany(s => s).Order(StringComparer.Ordinal));
        Assert.Equal(4, shards.SelectMany(s => s).Distinct().Count());
    }

    [Fact]
    public void Batch_JsonSeeds_WithViewsAndFeatures_WritesEverything()
    {
        string seeds = Seeds("""[{"image": "coffee.png", "seeds": [[290, 150], [260, 140]], "threshold": 0.25}]""", "seeds.json");

        JsonElement summary = Summary(CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--views", "--save-features", "--json"));

        Assert.Equal(["coffee.png"], Names(summary, "done"));
        string[] expected = ["cutout.png", "features.dsf", "mask.png", "overlay.png", "panel.png", "result.json", "similarity.png", "soft-mask.png"];
        Assert.Equal(expected, Directory.GetFiles(Path.Combine(Out, "coffee")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var again = CliProcess.Run("segment", TestPaths.Image("coffee.png"), "--features", Path.Combine(Out, "coffee", "features.dsf"),
            "--seed", "290,150", "--seed", "260,140", "--threshold", "0.25", "--out", Path.Combine(_dir, "again"));
        Assert.True(again.ExitCode == 0, again.StdErr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Out, "coffee", "mask.png")), File.ReadAllBytes(Path.Combine(_dir, "again", "mask.png")));
    }

    [Fact]
    public void Batch_CorruptImage_ExitsSevenAndStillWritesTheOthers()
    {
        byte[] png = File.ReadAllBytes(Path.Combine(Images, "chelsea.png"));
        File.WriteAllBytes(Path.Combine(Images, "broken.png"), png[..(png.Length / 2)]);
        string seeds = Seeds("broken.png,10,10\ncoffee.png,290,150\n");

        var r = CliProcess.Run("batch", Images, "--seeds", seeds, "--out", Out, "--json");

        Assert.Equal(7, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.Equal(["coffee.png"], Names(doc.RootElement, "done"));
        Assert.Equal(["broken.png"], Names(doc.RootElement, "failed"));
        Assert.Contains("cut short", doc.RootElement.GetProperty("failed")[0].GetProperty("error").GetString());
        Assert.False(Directory.Exists(Path.Combine(Out, "broken")));
    }

    [Theory]
    [InlineData("image,x,y\nchelsea.png,172,115\nchelsea.png,172\n", "seeds.csv line 3: expected image,x,y[,threshold], found 2 fields")]
    [InlineData("chelsea.png,172,115\n\ncoffee.png,1.5,2\n", "seeds.csv line 3: x and y must be whole pixels")]
    [InlineData("chelsea.png,172,115,2\n", "seeds.csv line 1: threshold must be a number in [-1, 1], not '2'")]
    [InlineData("chelsea.png,1,1\nmissing.png,1,1\n", "seeds.csv line 2: no image 'missing.png'")]
    [InlineData("chelsea.png,1,1,0.2\nchelsea.png,2,2,0.3\n", "seeds.csv line 2: threshold 0.3 for 'chelsea.png' differs from 0.2 at seeds.csv line 1")]
    [InlineData("../chelsea.png,1,1\n", "seeds.csv line 1: the image must be a file name inside the images folder")]
    public void Batch_BadCsvRow_ExitsTwoNamingTheLine(string csv, string message)
    {
        var r = CliProcess.Run("batch", Images, "--seeds", Seeds(csv), "--out", Out);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"dinoseg: error: {message}", r.StdErr);
        Assert.Single(r.StdErr.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("[{\"image\": \"chelsea.png\", \"seeds\": [[1, 2]]},\n {\"image\":\n", "seeds.json line 3: not valid JSON")]
    [InlineData("[{\"image\": \"chelsea.png\", \"seeds\": [[1, 2]]}, {\"image\": \"coffee.png\", \"seeds\": [[1.5, 2]]}]", "seeds.json entry 1: each seed must be [x, y]")]
    [InlineData("{\"image\": \"chelsea.png\"}", "seeds.json: expected a JSON array")]
    public void Batch_BadJsonSeeds_ExitsTwoNamingWhere(string json, string message)
    {
        var r = CliProcess.Run("batch", Images, "--seeds", Seeds(json, "seeds.json"), "--out", Out);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"dinoseg: error: {message}", r.StdErr);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public void Batch_BadModel_ExitsFourWithoutWritingAnything()
    {
        string model = Path.Combine(_dir, "bad.onnx");
        File.WriteAllText(model, "not a model");

        var r = CliProcess.Run("batch", Images, "--seeds", Seeds(AllSeeds), "--out", Out, "--backbone", "dinov3", "--model", model);

        Assert.Equal(4, r.ExitCode);
        Assert.Single(r.StdErr.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("--shard", "3/3", "--shard expects I/N with 0 ≤ I < N")]
    [InlineData("--shard", "a/2", "--shard expects I/N")]
    [InlineData("--bogus", null, "Unrecognized command or argument '--bogus'")]
    public void Batch_BadOption_ExitsTwo(string option, string? value, string message)
    {
        string[] args = ["batch", Images, "--seeds", Seeds(AllSeeds), "--out", Out, option, .. value is null ? Array.Empty<string>() : [value]];

        var r = CliProcess.Run(args);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.StdErr);
    }
}
