using System.Numerics.Tensors;

namespace DinoSeg;

/// <summary>Turns a backbone's channel-major feature map into the patch-major layout <see cref="PatchFeatures"/> keeps.</summary>
internal static class FeatureLayout
{
    // 32 x 32 floats per tile: 4 KiB read and 4 KiB written, both well inside L1.
    private const int Tile = 32;

    /// <summary>
    /// <c>[dim, patches]</c> → <c>[patches, dim]</c>; with <paramref name="centre"/>, each channel's mean over the patches is
    /// subtracted on the way (the means come from contiguous channel planes, so centring costs no extra pass over the result).
    /// </summary>
    /// <exception cref="DinoSegModelException">A channel holds NaN or infinity.</exception>
    public static void ChannelMajorToPatchMajor(ReadOnlySpan<float> map, int dim, int patches, bool centre, Span<float> destination) =>
        ChannelMajorToPatchMajor(map, dim, patches, centre, destination, dim, 0);

    /// <summary>
    /// As <see cref="ChannelMajorToPatchMajor(ReadOnlySpan{float}, int, int, bool, Span{float})"/>, into channels
    /// [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="dim"/>) of vectors <paramref name="stride"/> long
    /// (one block of a concatenation); the other channels are left as they are.
    /// </summary>
    public static void ChannelMajorToPatchMajor(ReadOnlySpan<float> map, int dim, int patches, bool centre, Span<float> destination, int stride, int offset)
    {
        if (map.Length != (long)dim * patches) throw new ArgumentException($"Expected {dim}x{patches} values, found {map.Length}.", nameof(map));
        if (offset < 0 || offset + dim > stride || destination.Length != (long)stride * patches)
        {
            throw new ArgumentException($"Destination must hold {patches} vectors of {stride} with room for {dim} channels at {offset}.", nameof(destination));
        }

        Span<float> means = dim <= 4096 ? stackalloc float[dim] : new float[dim];
        for (int c = 0; c < dim; c++)
        {
            ReadOnlySpan<float> plane = map.Slice(c * patches, patches);
            float sum = TensorPrimitives.Sum(plane);
            // A NaN or infinity anywhere in the plane shows up in its sum; find it to say where (a finite overflow is let through).
            if (!float.IsFinite(sum)) ThrowIfNonFinite(plane, c, patches);
            means[c] = centre ? sum / patches : 0f;
        }

        for (int c0 = 0; c0 < dim; c0 += Tile)
        {
            int c1 = Math.Min(dim, c0 + Tile);
            for (int p0 = 0; p0 < patches; p0 += Tile)
            {
                int p1 = Math.Min(patches, p0 + Tile);
                for (int c = c0; c < c1; c++)
                {
                    ReadOnlySpan<float> plane = map.Slice(c * patches, patches);
                    float mean = means[c];
                    for (int p = p0; p < p1; p++) destination[p * stride + offset + c] = plane[p] - mean;
                }
            }
        }
    }

    private static void ThrowIfNonFinite(ReadOnlySpan<float> plane, int channel, int patches)
    {
        for (int p = 0; p < patches; p++)
        {
            if (!float.IsFinite(plane[p])) throw PatchFeatures.NonFinite(plane[p], p, channel);
        }
    }
}
