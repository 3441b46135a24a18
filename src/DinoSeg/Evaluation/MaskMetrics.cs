namespace DinoSeg.Evaluation;

/// <summary>Mask comparison. A mask is row-major bytes, non-zero = object.</summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class MaskMetrics
{
    /// <summary>Intersection over union of two masks; 1 when both are empty (nothing to find, nothing found).</summary>
    /// <exception cref="ArgumentException">The masks differ in length.</exception>
    public static double IoU(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> truth)
    {
        if (predicted.Length != truth.Length) throw new ArgumentException($"Masks differ in length: {predicted.Length} and {truth.Length}.", nameof(predicted));
        long intersection = 0, union = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            bool p = predicted[i] != 0, t = truth[i] != 0;
            intersection += p & t ? 1 : 0;
            union += p | t ? 1 : 0;
        }

        return union == 0 ? 1 : (double)intersection / union;
    }
}
