namespace DinoSeg;

public sealed partial class SimilaritySegmenter
{
    /// <summary>With refinement on, the result must carry the image guide; checked before any work.</summary>
    private void CheckGuide(SegmentationResult into)
    {
        if (Options.Refinement != Refinement.None && into.Guide is null)
        {
            throw new ArgumentException(
                "Refinement needs the image: set result.Guide = RefinementGuide.FromImage(image) once per image.", nameof(into));
        }
    }

    /// <summary>Edge-aware refinement of the upsampled map, then the threshold again on the refined map.</summary>
    private void Refine(SegmentationResult into, float threshold)
    {
        if (Options.Refinement == Refinement.None) return;
        into.RefineSimilarity(into.Guide!, Options.RefineRadius, (float)Options.RefineEpsilon);
        into.ApplyThreshold(threshold);
    }
}
