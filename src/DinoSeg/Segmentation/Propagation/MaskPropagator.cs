using System.Buffers;
using System.Numerics.Tensors;
using DinoSeg.Kernels;
using DinoSeg.Parallel;

namespace DinoSeg;

/// <summary>
/// Carries a mask from one frame to the next by patch similarity (label propagation, as in DINO's video segmentation):
/// every patch of the new frame finds its <see cref="PropagationOptions.TopK"/> most similar patches of the previous frame
/// (within <see cref="PropagationOptions.Radius"/> patches of its own position), and takes the softmax-weighted mean of
/// their labels as its soft label. The soft labels are upsampled and smoothed with the same fused separable pass as a click,
/// then thresholded (0.5 by default) into the new mask.
/// </summary>
/// <remarks>
/// For a sequence, pass each result's <see cref="PropagationResult.PatchLabels"/> on to the next frame rather than its
/// thresholded mask: labels re-derived from a mask lose the partial patches at its edge and small objects erode frame after frame.
/// Immutable and thread-safe; each call needs its own <see cref="PropagationResult"/>. Cost per frame: new patches ×
/// window patches × dim multiply-adds, split over the cores; scratch comes from <see cref="ArrayPool{T}"/>.
/// </remarks>
public sealed class MaskPropagator
{
    /// <summary>Creates a propagator with the given options (defaults when null).</summary>
    public MaskPropagator(PropagationOptions? options = null)
    {
        Options = options ?? PropagationOptions.Default;
        Options.Validate();
    }

    /// <summary>The options every frame uses.</summary>
    public PropagationOptions Options { get; }

    /// <summary>Propagates a binary (or 0–255 soft) mask of the previous frame, at its image size, into a new result.</summary>
    /// <param name="previous">Features of the previous frame.</param>
    /// <param name="previousMask">Its mask, one byte per pixel of the previous image (0 = out, 255 = in).</param>
    /// <param name="next">Features of the new frame (same backbone and dim; any size).</param>
    public PropagationResult Propagate(PatchFeatures previous, ReadOnlySpan<byte> previousMask, PatchFeatures next)
    {
        ArgumentNullException.ThrowIfNull(previous);
        float[] labels = ArrayPool<float>.Shared.Rent(previous.PatchCount);
        try
        {
            Span<float> patchLabels = labels.AsSpan(0, previous.PatchCount);
            PatchLabelsFromMask(previousMask, previous.Grid, patchLabels);
            return Propagate(previous, patchLabels, next);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(labels);
        }
    }

    /// <summary>Propagates per-patch labels of the previous frame into a new result.</summary>
    /// <param name="previous">Features of the previous frame.</param>
    /// <param name="previousPatchLabels">One label in [0, 1] per patch of <paramref name="previous"/> (e.g. <see cref="PropagationResult.PatchLabels"/>).</param>
    /// <param name="next">Features of the new frame.</param>
    public PropagationResult Propagate(PatchFeatures previous, ReadOnlySpan<float> previousPatchLabels, PatchFeatures next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var result = new PropagationResult(next);
        Propagate(previous, previousPatchLabels, next, result);
        return result;
    }

    /// <summary>Propagates per-patch labels of the previous frame into an existing result made for <paramref name="next"/>'s size.</summary>
    /// <exception cref="ArgumentException">
    /// The frames' backbones or dims differ, the labels do not hold one value per previous patch or leave [0, 1], or
    /// <paramref name="into"/> was made for another grid.
    /// </exception>
    public void Propagate(PatchFeatures previous, ReadOnlySpan<float> previousPatchLabels, PatchFeatures next, PropagationResult into)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(into);
        if (previous.Dim != next.Dim || previous.Backbone != next.Backbone)
        {
            throw new ArgumentException(
                $"Both frames need features of one backbone: previous is {previous.Backbone} (dim {previous.Dim}), next is {next.Backbone} (dim {next.Dim}).",
                nameof(next));
        }

        if (previousPatchLabels.Length != previous.PatchCount)
        {
            throw new ArgumentException($"Expected one label per previous patch ({previous.PatchCount}), found {previousPatchLabels.Length}.", nameof(previousPatchLabels));
        }

        if (!(TensorPrimitives.Min(previousPatchLabels) >= 0 && TensorPrimitives.Max(previousPatchLabels) <= 1))
        {
            throw new ArgumentException("Labels must lie in [0, 1].", nameof(previousPatchLabels));
        }

        if (!into.Fits(next)) throw new ArgumentException("The result was created for another frame size or grid.", nameof(into));

        float[] labels = ArrayPool<float>.Shared.Rent(previousPatchLabels.Length);
        try
        {
            // The job runs on worker threads, which cannot see a span: hand it an array.
            previousPatchLabels.CopyTo(labels);
            var job = new VoteJob(Options, previous, labels, next, into);
            RangeWorkers.Shared.For(job, next.PatchCount, Math.Max(1, 16));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(labels);
        }

        into.Finish(Options.Sigma, Options.Threshold);
    }

    /// <summary>
    /// Per-patch labels from a mask: the fraction of each patch's pixels that are set (any non-zero byte), in [0, 1].
    /// </summary>
    /// <param name="mask">One byte per pixel of the image <paramref name="grid"/> describes.</param>
    /// <param name="grid">The image's patch grid.</param>
    /// <param name="labels">One value per patch, row-major.</param>
    /// <exception cref="ArgumentException">A span's length does not fit the grid.</exception>
    public static void PatchLabelsFromMask(ReadOnlySpan<byte> mask, PatchGrid grid, Span<float> labels)
    {
        if (mask.Length != (long)grid.ImageWidth * grid.ImageHeight)
        {
            throw new ArgumentException($"The mask must hold {grid.ImageWidth}x{grid.ImageHeight} bytes, found {mask.Length}.", nameof(mask));
        }

        if (labels.Length != grid.Rows * grid.Cols) throw new ArgumentException($"Expected {grid.Rows * grid.Cols} labels, found {labels.Length}.", nameof(labels));
        for (int r = 0; r < grid.Rows; r++)
        {
            for (int c = 0; c < grid.Cols; c++)
            {
                var (x0, y0, x1, y1) = grid.PatchBounds(r, c);
                // A patch narrower than a pixel (upscaled tiny images) reads the pixel it starts in.
                x0 = Math.Min(x0, grid.ImageWidth - 1);
                y0 = Math.Min(y0, grid.ImageHeight - 1);
                x1 = Math.Clamp(x1, x0 + 1, grid.ImageWidth);
                y1 = Math.Clamp(y1, y0 + 1, grid.ImageHeight);
                int set = 0;
                for (int y = y0; y < y1; y++)
                {
                    ReadOnlySpan<byte> row = mask.Slice(y * grid.ImageWidth + x0, x1 - x0);
                    foreach (byte b in row) set += b != 0 ? 1 : 0;
                }

                labels[r * grid.Cols + c] = (float)set / ((x1 - x0) * (y1 - y0));
            }
        }
    }

    /// <summary>The vote of every new patch in [start, end), over the worker threads.</summary>
    private sealed class VoteJob(PropagationOptions options, PatchFeatures previous, float[] previousLabels, PatchFeatures next,
        PropagationResult into) : IRangeJob
    {
        public void Run(int start, int end)
        {
            int prevRows = previous.Rows, prevCols = previous.Cols, dim = previous.Dim;
            int radius = options.Radius ?? Math.Max(prevRows, prevCols);
            int windowRows = Math.Min(prevRows, 2 * radius + 1), windowCols = Math.Min(prevCols, 2 * radius + 1);
            float[] similarities = ArrayPool<float>.Shared.Rent(windowRows * windowCols);
            int k = options.TopK;
            Span<float> topValues = stackalloc float[k];
            Span<int> topIndices = stackalloc int[k];
            Span<float> labels = into.PatchLabelsBuffer;
            ReadOnlySpan<float> prevVectors = previous.Vectors;
            try
            {
                for (int p = start; p < end; p++)
                {
                    int row = p / next.Cols, col = p % next.Cols;
                    // The new patch's centre, in previous-grid coordinates (the frames may differ in size).
                    int centreRow = Math.Clamp((int)((row + 0.5) * prevRows / next.Rows), 0, prevRows - 1);
                    int centreCol = Math.Clamp((int)((col + 0.5) * prevCols / next.Cols), 0, prevCols - 1);
                    int r0 = Math.Max(0, centreRow - radius), r1 = Math.Min(prevRows, centreRow + radius + 1);
                    int c0 = Math.Max(0, centreCol - radius), c1 = Math.Min(prevCols, centreCol + radius + 1);
                    int width = c1 - c0;
                    ReadOnlySpan<float> query = next.GetPatch(row, col);
                    for (int pr = r0; pr < r1; pr++)
                    {
                        // One window row is contiguous in memory: a matrix-vector product over it.
                        SeedSimilarity.Compute(prevVectors.Slice((pr * prevCols + c0) * dim, width * dim), query,
                            similarities.AsSpan((pr - r0) * width, width));
                    }

                    int found = TopK(similarities.AsSpan(0, (r1 - r0) * width), topValues, topIndices);
                    labels[p] = Vote(topValues[..found], topIndices[..found], width, r0, c0, prevCols);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(similarities);
            }
        }

        private float Vote(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, int width, int r0, int c0, int prevCols)
        {
            // Softmax over the top-k similarities, shifted by the largest for numerical safety.
            float best = values[0], inverseT = 1f / options.Temperature;
            double weighted = 0, total = 0;
            for (int i = 0; i < values.Length; i++)
            {
                double w = Math.Exp((values[i] - best) * inverseT);
                int window = indices[i];
                weighted += w * previousLabels[(r0 + window / width) * prevCols + c0 + window % width];
                total += w;
            }

            return (float)Math.Clamp(weighted / total, 0, 1);
        }

        /// <summary>The k largest values, largest first, ties kept in index order; returns how many (fewer when the window is small).</summary>
        private static int TopK(ReadOnlySpan<float> values, Span<float> topValues, Span<int> topIndices)
        {
            int k = topValues.Length, found = 0;
            for (int i = 0; i < values.Length; i++)
            {
                float v = values[i];
                if (found == k && !(v > topValues[k - 1])) continue;
                int at = found < k ? found++ : k - 1;
                while (at > 0 && v > topValues[at - 1])
                {
                    topValues[at] = topValues[at - 1];
                    topIndices[at] = topIndices[at - 1];
                    at--;
                }

                topValues[at] = v;
                topIndices[at] = i;
            }

            return found;
        }
    }
}
