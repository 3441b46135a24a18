namespace DinoSeg;

public sealed partial class SimilaritySegmenter
{
    /// <summary>GrabCut rounds at most per click (it stops earlier when no label changes).</summary>
    internal const int GrabCutIterations = 5;

    /// <summary>With refinement on, the result must carry the image guide (with colours for GrabCut); checked before any work.</summary>
    private void CheckGuide(SegmentationResult into)
    {
        if (Options.Refinement != Refinement.None && into.Guide is null)
        {
            throw new ArgumentException(
                "Refinement needs the image: set result.Guide = RefinementGuide.FromImage(image) once per image.", nameof(into));
        }

        if (Options.Refinement is Refinement.GrabCut or Refinement.DenseCrf && !into.Guide!.HasColor)
        {
            throw new ArgumentException(
                $"{Options.Refinement} needs the image's colours: make the guide with RefinementGuide.FromImage(image), not FromGrey.", nameof(into));
        }
    }

    /// <summary>Edge-aware refinement of the upsampled map, then the threshold again on the refined map.</summary>
    private void Refine(SegmentationResult into, float threshold)
    {
        if (Options.Refinement != Refinement.GuidedFilter) return;
        into.RefineSimilarity(into.Guide!, Options.RefineRadius, (float)Options.RefineEpsilon);
        into.ApplyThreshold(threshold);
    }

    /// <summary>
    /// Refinement of the thresholded mask itself (GrabCut, the CRF): after every final threshold, the slider's included, so
    /// a slider move costs one more run of it.
    /// </summary>
    private void RefineMask(SegmentationResult into)
    {
        if (Options.Refinement == Refinement.GrabCut) into.RefineMaskByGrabCut(into.Guide!, GrabCutIterations);
        else if (Options.Refinement == Refinement.DenseCrf) into.RefineMaskByCrf(into.Guide!, Options.Crf);
    }
}
