using System.Numerics.Tensors;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg.Pipeline;

/// <summary>
/// The prompt's vectors (seeds, the box prototype) and their cosine similarity over the patch grid: s⁺ combined
/// by <see cref="SegmentationOptions.SeedCombine"/>, s⁻ the max over the negative seeds.
/// </summary>
internal static class SimilarityStage
{
    /// <summary>s⁺ per patch into <see cref="ClickBuffers.PatchSimilarity"/>: the seeds and the box prototype combined.</summary>
    public static void Positive(ClickBuffers b, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, bool box, SeedCombine combine)
    {
        if (TryCombineIntoOneVector(b, features, seeds, box, combine))
        {
            Compute(features, b.Vector, b.PatchSimilarity, max: false);
            return;
        }

        b.PatchSimilarity.AsSpan().Fill(float.NegativeInfinity);
        if (box)
        {
            b.BoxVector.CopyTo(b.Vector, 0);
            Compute(features, b.Vector, b.PatchSimilarity, max: true);
        }

        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            features.GetPatch(row, col).CopyTo(b.Vector);
            Compute(features, b.Vector, b.PatchSimilarity, max: true);
        }
    }

    /// <summary>s⁻ = max over the negative seeds into <see cref="ClickBuffers.NegativeSimilarity"/>.</summary>
    public static void Negative(ClickBuffers b, PatchFeatures features, ReadOnlySpan<PixelPoint> negatives)
    {
        b.NegativeSimilarity.AsSpan().Fill(float.NegativeInfinity);
        foreach (PixelPoint seed in negatives)
        {
            var (row, col) = features.PatchAt(seed);
            features.GetPatch(row, col).CopyTo(b.Vector);
            Compute(features, b.Vector, b.NegativeSimilarity, max: true);
        }
    }

    /// <summary>
    /// With one seed (or the box alone), or with <see cref="SeedCombine.Mean"/>, puts the single vector whose similarity is
    /// the combined s⁺ into <see cref="ClickBuffers.Vector"/> and returns true; with several seeds combined by max, false.
    /// </summary>
    public static bool TryCombineIntoOneVector(ClickBuffers b, PatchFeatures features, ReadOnlySpan<PixelPoint> seeds, bool box, SeedCombine combine)
    {
        int count = seeds.Length + (box ? 1 : 0);
        if (count > 1 && combine != SeedCombine.Mean) return false;

        // Mean over seeds of v·s equals v · mean(s): one pass over the features either way.
        Span<float> seedVector = b.Vector;
        if (box) b.BoxVector.CopyTo(seedVector);
        else seedVector.Clear();
        foreach (PixelPoint seed in seeds)
        {
            var (row, col) = features.PatchAt(seed);
            TensorPrimitives.Add(seedVector, features.GetPatch(row, col), seedVector);
        }

        if (count > 1) TensorPrimitives.Multiply(seedVector, 1f / count, seedVector);
        return true;
    }

    /// <summary>The box prototype: the normalised mean of the vectors of the patches whose centres lie in the box.</summary>
    public static void BoxPrototype(PatchFeatures features, PixelRect box, Span<float> prototype)
    {
        prototype.Clear();
        PatchGrid grid = features.Grid;
        double sx = (double)features.ImageWidth / features.WorkingWidth, sy = (double)features.ImageHeight / features.WorkingHeight;
        int count = 0;
        for (int row = 0; row < features.Rows; row++)
        {
            double cy = (row + 0.5) * features.PatchSize * sy;
            if (cy < box.Y0 || cy >= box.Y1) continue;
            for (int col = 0; col < features.Cols; col++)
            {
                double cx = (col + 0.5) * features.PatchSize * sx;
                if (cx < box.X0 || cx >= box.X1) continue;
                TensorPrimitives.Add(prototype, features.GetPatch(row, col), prototype);
                count++;
            }
        }

        if (count == 0)
        {
            // A box smaller than a patch: the patch under its centre stands for it.
            var (row, col) = grid.PatchAt(box.Centre);
            features.GetPatch(row, col).CopyTo(prototype);
        }

        float norm = TensorPrimitives.Norm(prototype);
        if (norm > 0) TensorPrimitives.Divide(prototype, norm, prototype);
    }

    /// <summary>Similarity of every patch to <paramref name="vector"/> (or its max with what is there) into <paramref name="target"/>, split over the workers.</summary>
    public static void Compute(PatchFeatures features, float[] vector, float[] target, bool max) =>
        RangeWorkers.Shared.For(new Patches(features, vector, target, max), features.PatchCount, WorkGrains.Patches(features.Dim));

    private readonly struct Patches(PatchFeatures features, float[] vector, float[] target, bool max) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int dim = features.Dim;
            ReadOnlySpan<float> vectors = features.Vectors.Slice(start * dim, (end - start) * dim);
            Span<float> destination = target.AsSpan(start, end - start);
            if (max) SeedSimilarity.MaxInto(vectors, vector, destination);
            else SeedSimilarity.Compute(vectors, vector, destination);
        }
    }
}
