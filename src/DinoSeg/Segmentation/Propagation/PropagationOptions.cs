namespace DinoSeg;

/// <summary>
/// Options of <see cref="MaskPropagator"/>. Immutable; change with <c>with</c>:
/// <c>PropagationOptions.Default with { TopK = 10 }</c>.
/// </summary>
/// <remarks>Immutable; one instance can be shared by any number of propagators and threads.</remarks>
public sealed record PropagationOptions
{
    /// <summary>
    /// How many of the most similar previous-frame patches vote for each new patch. Few votes keep edges crisp; one vote
    /// copies the nearest neighbour's label. Default 5 (DINO's video label propagation uses 5 to 20).
    /// </summary>
    public int TopK { get; init; } = 5;

    /// <summary>
    /// Softmax temperature over the top-k cosine similarities: vote weight ∝ exp(similarity / temperature). Small values
    /// let the single best match dominate; large ones weigh the k votes almost equally. Default 0.1.
    /// </summary>
    public float Temperature { get; init; } = 0.1f;

    /// <summary>
    /// Search radius, in patches of the previous frame, around the new patch's position: objects move only so far between
    /// frames, and the limit stops a look-alike elsewhere in the frame from voting. Null searches the whole frame. Default 12.
    /// </summary>
    public int? Radius { get; init; } = 12;

    /// <summary>σ in image pixels of the Gaussian applied to the upsampled soft labels before the threshold. Default 4.</summary>
    public double Sigma { get; init; } = 4;

    /// <summary>A pixel is in the propagated mask where its soft label is at least this, in [0, 1]. Default 0.5 (majority vote).</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>The defaults.</summary>
    public static PropagationOptions Default { get; } = new();

    /// <summary>Largest <see cref="TopK"/> accepted.</summary>
    public const int MaxTopK = 64;

    internal void Validate()
    {
        if (TopK < 1 || TopK > MaxTopK) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, $"TopK must be in [1, {MaxTopK}].");
        if (!(Temperature > 0 && float.IsFinite(Temperature))) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a positive number.");
        if (Radius is < 0) throw new ArgumentOutOfRangeException(nameof(Radius), Radius, "Radius must be 0 or more patches (null for the whole frame).");
        if (!(Sigma >= 0 && Sigma <= Kernels.AxisWeights.MaxSigma)) throw new ArgumentOutOfRangeException(nameof(Sigma), Sigma, $"σ must be in [0, {Kernels.AxisWeights.MaxSigma}].");
        if (!(Threshold >= 0 && Threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "Threshold must be in [0, 1].");
    }
}
