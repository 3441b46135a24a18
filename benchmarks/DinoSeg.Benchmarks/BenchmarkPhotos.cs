using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DinoSeg.Benchmarks;

/// <summary>Real-photo inputs that several benchmarks share, made the same way everywhere.</summary>
internal static class BenchmarkPhotos
{
    /// <summary>
    /// coffee.png resized to 1536 x 1024, through the embedded backbone at long side 768: a 1.5 MP map whose object edges
    /// run through many blocks.
    /// </summary>
    public static PatchFeatures CoffeeFeatures1536()
    {
        using var extractor = OnnxFeatureExtractor.CreateDefault(new ExtractorOptions { Device = ExecutionDevice.Cpu, LongSide = 768 });
        using var photo = Image.Load<Rgb24>(Path.Combine(AppContext.BaseDirectory, "coffee.png"));
        photo.Mutate(x => x.Resize(1536, 1024));
        return extractor.Extract(photo);
    }
}
