using DinoSeg.Pipeline;

namespace DinoSeg.Tests.Segmentation;

/// <summary>The pipelined plain click must equal the two-stage path (similarity, then upsample) bit for bit.</summary>
public sealed class PipelinedClickTests
{
    [Theory]
    [InlineData(1, 1, 16, 16, 0.0)]
    [InlineData(1, 7, 100, 9, 4.0)]      // one patch row, image narrower than a band
    [InlineData(5, 3, 37, 83, 2.0)]      // odd sizes, height not a multiple of the band
    [InlineData(21, 32, 451, 300, 4.0)]  // the README photo's grid
    [InlineData(64, 64, 1024, 1024, 4.0)]
    [InlineData(64, 64, 1024, 1024, 16.0)]
    [InlineData(12, 20, 320, 190, 0.0)]
    public void Segment_OneSeed_EqualsSimilarityThenUpsample(int rows, int cols, int width, int height, double sigma)
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(rows * 31 + cols, rows, cols, 48, width, height);
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { SimilaritySigma = sigma });
        var seed = new PixelPoint(width / 3, height / 2);
        var pipelined = new SegmentationResult(f);
        var staged = new SegmentationResult(f);

        segmenter.Segment(f, new SegmentationPrompt([seed]), 0.1f, pipelined);
        var (row, col) = f.PatchAt(seed);
        ClickBuffers b = staged.Pipeline.Buffers;
        f.GetPatch(row, col).CopyTo(b.Vector);
        SimilarityStage.Compute(f, b.Vector, b.PatchSimilarity, max: false);
        var upsample = new UpsampleStage(b);
        upsample.Prepare(sigma);
        upsample.Run(b.PatchSimilarity, b.Similarity, 0.1f, writeBounds: true);
        b.Threshold = 0.1f;
        b.MapWritten();

        Assert.True(pipelined.PatchSimilarity.SequenceEqual(staged.PatchSimilarity));
        Assert.True(pipelined.Similarity.SequenceEqual(staged.Similarity));
        Assert.True(pipelined.Mask.SequenceEqual(staged.Mask));
        Assert.Equal(staged.SelectedPixels, pipelined.SelectedPixels);

        // The slider after a pipelined click (block bounds taken in the fused pass) leaves the same mask and count.
        segmenter.Rethreshold(pipelined, 0.3f);
        ThresholdStage.Apply(b, 0.3f);
        Assert.True(pipelined.Mask.SequenceEqual(staged.Mask));
        Assert.Equal(staged.SelectedPixels, pipelined.SelectedPixels);
    }

    [Fact]
    public void FirstSliderMoveAfterTheFirstClick_AllocatesNothing()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(2, 16, 16, 32, 256, 256);
        var segmenter = new SimilaritySegmenter(TestOptions.Plain with { ComputeSoftMask = false });
        var result = new SegmentationResult(f);
        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(40, 40)]), 0.1f, result);

        long allocated = SimilaritySegmenterTests.AllocatedBy(() => segmenter.Rethreshold(result, 0.2f));

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Rethreshold_AfterAStagedClickIntoAPipelinedResult_CoversTheWholeMap()
    {
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(4, 20, 30, 32, 480, 320);
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        var result = new SegmentationResult(f);
        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(100, 100)]), 0.1f, result);                          // pipelined
        segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(100, 100)], [new PixelPoint(400, 250)]), 0.1f, result); // staged (negative seed)

        segmenter.Rethreshold(result, -1f);

        var fresh = segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(100, 100)], [new PixelPoint(400, 250)]), -1f);
        Assert.True(result.Mask.SequenceEqual(fresh.Mask));
        Assert.Equal(fresh.SelectedPixels, result.SelectedPixels);
    }

    [Fact]
    public void Segment_RepeatedClicksFromManyThreads_MatchASequentialClick()
    {
        // Threads that find the workers busy run the whole pipeline alone: same answer either way.
        PatchFeatures f = SimilaritySegmenterTests.RandomFeatures(9, 40, 60, 64, 960, 640);
        var segmenter = new SimilaritySegmenter(TestOptions.Plain);
        var expected = segmenter.Segment(f, new PixelPoint(500, 300), 0.05f);

        System.Threading.Tasks.Parallel.For(0, 8, _ =>
        {
            var result = new SegmentationResult(f);
            for (int i = 0; i < 20; i++)
            {
                segmenter.Segment(f, new SegmentationPrompt([new PixelPoint(500, 300)]), 0.05f, result);
                Assert.True(result.Mask.SequenceEqual(expected.Mask));
                Assert.True(result.Similarity.SequenceEqual(expected.Similarity));
            }
        });
    }
}
