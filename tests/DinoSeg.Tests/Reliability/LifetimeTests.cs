using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using DinoSeg.Tests.Segmentation;

namespace DinoSeg.Tests.Reliability;

/// <summary>Long use does not grow memory: 1,000 extract/segment cycles reach a plateau (a memory check, not a timing).</summary>
[Collection(IsolatedCollection.Name)]
public sealed class LifetimeTests(ITestOutputHelper output)
{
    private const int Cycles = 1000;
    private const int Baseline = 200;

    // A leak of one cycle's buffers (input tensor ≈ 147 KB, result ≈ 160 KB) over 800 cycles would be > 100 MiB.
    private const long ManagedTolerance = 8L << 20;
    private const long ResidentTolerance = 48L << 20;

    [Fact]
    public void ExtractAndSegment_1000Cycles_MemoryPlateaus()
    {
        // Arrange
        using var extractor = OnnxFeatureExtractor.Create(TestPaths.Fixture("tiny-dinov3.onnx"), Backbone.Dinov3,
            new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 128, IntraOpThreads = 1 });
        var segmenter = new SimilaritySegmenter(TestOptions.Unrefined);
        using Image<Rgb24> image = Onnx.TinyDinov3Tests.PatternImage(128, 96);
        (long Managed, long Resident) atBaseline = default, atEnd = default;
        double checksum = 0;

        // Act: every cycle makes fresh features and a fresh result, as a server handling new uploads would.
        for (int cycle = 1; cycle <= Cycles; cycle++)
        {
            PatchFeatures features = extractor.Extract(image);
            SegmentationResult result = segmenter.Segment(features, new PixelPoint(cycle % 128, cycle % 96), 0.3f);
            checksum += result.GetSoftMask()[cycle % result.GetSoftMask().Length] + result.SelectedPixels;
            if (cycle == Baseline) atBaseline = Measure();
        }

        atEnd = Measure();
        output.WriteLine($"after {Baseline} cycles: managed {atBaseline.Managed / 1024} KiB, resident {atBaseline.Resident >> 20} MiB; " +
            $"after {Cycles}: managed {atEnd.Managed / 1024} KiB, resident {atEnd.Resident >> 20} MiB (checksum {checksum:0.###})");

        // Assert
        Assert.True(atEnd.Managed - atBaseline.Managed < ManagedTolerance,
            $"managed heap grew by {(atEnd.Managed - atBaseline.Managed) / 1024} KiB between cycles {Baseline} and {Cycles}");
        Assert.True(atEnd.Resident - atBaseline.Resident < ResidentTolerance,
            $"resident memory grew by {(atEnd.Resident - atBaseline.Resident) >> 20} MiB between cycles {Baseline} and {Cycles}");
    }

    private static (long Managed, long Resident) Measure()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
    }
}
