using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace DinoSeg.Kernels;

/// <summary>Cosine similarity of one seed vector to every patch vector (both L2-normalised, so a dot product).</summary>
/// <remarks>Stateless and thread-safe.</remarks>
internal static class SeedSimilarity
{
    /// <summary>destination[p] = vectors[p] · seed, for every patch p.</summary>
    /// <param name="vectors">Patch vectors, <paramref name="seed"/>.Length each, back to back.</param>
    /// <param name="seed">The seed vector.</param>
    /// <param name="destination">One value per patch.</param>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Compute(ReadOnlySpan<float> vectors, ReadOnlySpan<float> seed, Span<float> destination)
    {
        int dim = Validate(vectors, seed, destination);
        for (int p = 0; p < destination.Length; p++)
        {
            destination[p] = TensorPrimitives.Dot(vectors.Slice(p * dim, dim), seed);
        }
    }

    /// <summary>destination[p] = max(destination[p], vectors[p] · seed): folds one more seed into a max-over-seeds map.</summary>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxInto(ReadOnlySpan<float> vectors, ReadOnlySpan<float> seed, Span<float> destination)
    {
        int dim = Validate(vectors, seed, destination);
        for (int p = 0; p < destination.Length; p++)
        {
            destination[p] = MathF.Max(destination[p], TensorPrimitives.Dot(vectors.Slice(p * dim, dim), seed));
        }
    }

    private static int Validate(ReadOnlySpan<float> vectors, ReadOnlySpan<float> seed, Span<float> destination)
    {
        if (seed.IsEmpty) Throw.Argument("The seed vector is empty.", nameof(seed));
        if (vectors.Length != (long)seed.Length * destination.Length)
        {
            Throw.Argument($"Expected {destination.Length} vectors of {seed.Length} values ({(long)seed.Length * destination.Length}), found {vectors.Length} values.",
                nameof(destination));
        }

        return seed.Length;
    }
}
