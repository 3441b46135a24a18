using DinoSeg.Kernels;

namespace DinoSeg;

public sealed partial class SegmentationResult
{
    private float[] _refineInput = [], _refineScratch = [];

    /// <summary>
    /// The image guide that <see cref="Refinement.GuidedFilter"/> needs (made once per image with
    /// <see cref="RefinementGuide.FromImage"/>); null when no refinement is used.
    /// </summary>
    /// <exception cref="ArgumentException">The guide's size is not the image's.</exception>
    public RefinementGuide? Guide
    {
        get;
        set
        {
            if (value is not null && (value.Width != Width || value.Height != Height))
            {
                throw new ArgumentException($"The guide is {value.Width}x{value.Height}, the image {Width}x{Height}.", nameof(value));
            }

            field = value;
        }
    }

    /// <summary>Replaces <see cref="Similarity"/> by its guided-filter refinement; excluded pixels stay excluded.</summary>
    internal void RefineSimilarity(RefinementGuide guide, int radius, float epsilon)
    {
        int n = Width * Height;
        if (_refineInput.Length == 0)
        {
            _refineInput = new float[n];
            _refineScratch = new float[GuidedFilter.ScratchLength(Width, Height)];
        }

        // Excluded pixels enter as the lowest similarity, so they pull their neighbourhood down rather than by −2.
        System.Numerics.Tensors.TensorPrimitives.Max(_similarity, -1f, _refineInput);
        var (mean, variance) = guide.StatisticsFor(radius);
        GuidedFilter.Apply(guide.Grey, mean, variance, _refineInput, Width, Height, radius, epsilon, _refineInput, _refineScratch);
        for (int i = 0; i < n; i++)
        {
            _similarity[i] = _similarity[i] < -1f ? Excluded : Math.Clamp(_refineInput[i], -1f, 1f);
        }
    }
}
