using System.Numerics.Tensors;

namespace DinoSeg;

/// <summary>
/// One feature vector per patch of an image, L2-normalised, row-major over the patch grid, in memory this object owns.
/// Extract once per image, then segment as often as needed: every click reads these vectors and nothing else.
/// </summary>
/// <remarks>
/// The vectors are immutable after construction and safe to read from any number of threads at once; the one settable
/// member is <see cref="Guide"/>, set once per image before the clicks. The patch graph that
/// <see cref="Propagation.Graph"/> ranks over is built from these vectors on first use and kept here (one graph: asking
/// for other graph options replaces it).
/// </remarks>
public sealed class PatchFeatures
{
    private readonly float[] _vectors;
    private readonly Lock _graphGate = new();
    private PatchGraph? _graph;

    private PatchFeatures(float[] vectors, int rows, int cols, int dim, int patchSize,
        int workingWidth, int workingHeight, int imageWidth, int imageHeight, string backbone)
    {
        _vectors = vectors;
        Rows = rows;
        Cols = cols;
        Dim = dim;
        PatchSize = patchSize;
        WorkingWidth = workingWidth;
        WorkingHeight = workingHeight;
        ImageWidth = imageWidth;
        ImageHeight = imageHeight;
        Backbone = backbone;
    }

    /// <summary>Patch rows (working height / patch size).</summary>
    public int Rows { get; }

    /// <summary>Patch columns (working width / patch size).</summary>
    public int Cols { get; }

    /// <summary>Length of each feature vector.</summary>
    public int Dim { get; }

    /// <summary>Side of one patch in working-image pixels.</summary>
    public int PatchSize { get; }

    /// <summary>Width of the resized image the backbone saw.</summary>
    public int WorkingWidth { get; }

    /// <summary>Height of the resized image the backbone saw.</summary>
    public int WorkingHeight { get; }

    /// <summary>Width of the original image; masks come back at this size.</summary>
    public int ImageWidth { get; }

    /// <summary>Height of the original image; masks come back at this size.</summary>
    public int ImageHeight { get; }

    /// <summary>Name of the backbone that produced the vectors (see <see cref="DinoSeg.Backbone.Name"/>).</summary>
    public string Backbone { get; }

    /// <summary>Number of patches, <see cref="Rows"/> × <see cref="Cols"/>.</summary>
    public int PatchCount => Rows * Cols;

    /// <summary>All vectors, patch (0,0) first, each <see cref="Dim"/> long and of unit length.</summary>
    public ReadOnlySpan<float> Vectors => _vectors;

    /// <summary><see cref="Vectors"/> as memory, for jobs that hold them across threads.</summary>
    internal ReadOnlyMemory<float> VectorMemory => _vectors;

    /// <summary>The vector of one patch.</summary>
    public ReadOnlySpan<float> GetPatch(int row, int col)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        ArgumentOutOfRangeException.ThrowIfNegative(col);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(col, Cols);
        return _vectors.AsSpan((row * Cols + col) * Dim, Dim);
    }

    /// <summary>
    /// The patch graph for <paramref name="options"/>: built on the first call (patches² × dim multiply-adds, split over the
    /// cores), then returned as it is while the graph options stay the same. Thread-safe: concurrent first calls build once.
    /// </summary>
    public PatchGraph GetGraph(GraphOptions? options = null)
    {
        options ??= GraphOptions.Default;
        PatchGraph? graph = Volatile.Read(ref _graph);
        if (graph is not null && graph.Options.BuildsSameGraph(options)) return graph;
        lock (_graphGate)
        {
            graph = _graph;
            if (graph is null || !graph.Options.BuildsSameGraph(options))
            {
                graph = PatchGraph.Build(this, options);
                Volatile.Write(ref _graph, graph);
            }

            return graph;
        }
    }

    /// <summary>
    /// The image's guide for edge-aware refinement (<see cref="SegmentationOptions.Refinement"/>; the default CRF reads the
    /// image's colours), kept with the features by <see cref="DinoSegmenter"/>'s extraction when its options refine, so that a
    /// click on these features alone can refine: a new <see cref="SegmentationResult"/> starts with it as its
    /// <see cref="SegmentationResult.Guide"/>. Null for features made otherwise (an <see cref="IFeatureExtractor"/> on its own,
    /// a feature file, <see cref="FromVectors"/>): set it once per image with
    /// <see cref="RefinementGuide.FromImage(SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24})"/> then.
    /// </summary>
    public RefinementGuide? Guide
    {
        get;
        set
        {
            RefinementGuide.ThrowIfNotSized(value, ImageWidth, ImageHeight, nameof(value));
            field = value;
        }
    }

    /// <summary>How original-image pixels map onto this grid.</summary>
    public PatchGrid Grid => new(ImageWidth, ImageHeight, WorkingWidth, WorkingHeight, PatchSize);

    /// <summary>The patch that covers a pixel of the original image.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The point lies outside the original image.</exception>
    public (int Row, int Col) PatchAt(PixelPoint point) => Grid.PatchAt(point);

    /// <summary>
    /// Builds features from raw vectors (row-major over the grid), for custom <see cref="IFeatureExtractor"/>s:
    /// copies them, optionally centres each channel on its mean over the image, and L2-normalises every vector.
    /// </summary>
    /// <param name="vectors">rows × cols × dim values.</param>
    /// <param name="rows">Patch rows.</param>
    /// <param name="cols">Patch columns.</param>
    /// <param name="dim">Vector length.</param>
    /// <param name="patchSize">Patch side in working pixels.</param>
    /// <param name="workingWidth">Width the backbone saw; must be cols × patch size.</param>
    /// <param name="workingHeight">Height the backbone saw; must be rows × patch size.</param>
    /// <param name="imageWidth">Original image width.</param>
    /// <param name="imageHeight">Original image height.</param>
    /// <param name="backbone">Backbone name recorded with the features.</param>
    /// <param name="centreChannels">Subtract each channel's mean over all patches before normalising (for post-ReLU CNN features).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the image has more pixels than one array holds.</exception>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    /// <exception cref="DinoSegModelException">A value is NaN or infinite.</exception>
    public static PatchFeatures FromVectors(ReadOnlySpan<float> vectors, int rows, int cols, int dim, int patchSize,
        int workingWidth, int workingHeight, int imageWidth, int imageHeight, string backbone, bool centreChannels = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(patchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentNullException.ThrowIfNull(backbone);
        if ((long)imageWidth * imageHeight > Array.MaxLength)
        {
            // Every full-resolution map of a segmentation is one array of this many pixels.
            throw new ArgumentOutOfRangeException(nameof(imageWidth), imageWidth, $"A {imageWidth}x{imageHeight} image has more pixels than one array can hold.");
        }

        if (workingWidth != cols * patchSize || workingHeight != rows * patchSize)
        {
            throw new ArgumentException(
                $"Working size {workingWidth}x{workingHeight} must be the grid {cols}x{rows} times the patch size {patchSize}.",
                nameof(workingWidth));
        }

        long count = (long)rows * cols * dim;
        if (vectors.Length != count)
        {
            throw new ArgumentException($"Expected {rows}x{cols}x{dim} = {count} values, found {vectors.Length}.", nameof(vectors));
        }

        var owned = vectors.ToArray();
        Normalise(owned, rows * cols, dim, centreChannels);
        return new PatchFeatures(owned, rows, cols, dim, patchSize, workingWidth, workingHeight, imageWidth, imageHeight, backbone);
    }

    /// <summary>Takes ownership of an array already laid out row-major; used by the extractors to skip one copy.</summary>
    internal static PatchFeatures Adopt(float[] vectors, int rows, int cols, int dim, int patchSize,
        int imageWidth, int imageHeight, string backbone, bool centreChannels)
    {
        Normalise(vectors, rows * cols, dim, centreChannels);
        return new PatchFeatures(vectors, rows, cols, dim, patchSize, cols * patchSize, rows * patchSize, imageWidth, imageHeight, backbone);
    }

    /// <summary>Wraps vectors read back from a feature file: they were normalised when first extracted and are kept bit for bit.</summary>
    internal static PatchFeatures Restore(float[] vectors, int rows, int cols, int dim, int patchSize,
        int imageWidth, int imageHeight, string backbone) =>
        new(vectors, rows, cols, dim, patchSize, cols * patchSize, rows * patchSize, imageWidth, imageHeight, backbone);

    private static void Normalise(float[] vectors, int count, int dim, bool centreChannels)
    {
        Span<float> all = vectors;
        if (centreChannels)
        {
            // Post-ReLU CNN features are all positive, so raw cosines bunch up near 1; centring spreads them out.
            var mean = new float[dim];
            for (int p = 0; p < count; p++) TensorPrimitives.Add(mean, all.Slice(p * dim, dim), mean);
            // Find a NaN or infinity before centring spreads it over every vector.
            if (!float.IsFinite(TensorPrimitives.Sum(mean))) ThrowIfNonFinite(all, 0, dim);
            TensorPrimitives.Multiply(mean, 1f / count, mean);
            for (int p = 0; p < count; p++) TensorPrimitives.Subtract(all.Slice(p * dim, dim), mean, all.Slice(p * dim, dim));
        }

        for (int p = 0; p < count; p++)
        {
            Span<float> v = all.Slice(p * dim, dim);
            float norm = TensorPrimitives.Norm(v);
            if (!float.IsFinite(norm))
            {
                // Either a NaN or infinity in this vector (an error), or finite values so large their squares overflow.
                ThrowIfNonFinite(v, p, dim);
                TensorPrimitives.Divide(v, TensorPrimitives.MaxMagnitude(v), v);
                norm = TensorPrimitives.Norm(v);
            }

            // A zero vector (e.g. a constant image after centring) stays zero: its similarity to anything is 0.
            if (norm > 0) TensorPrimitives.Divide(v, norm, v);
        }
    }

    private static void ThrowIfNonFinite(ReadOnlySpan<float> values, int firstPatch, int dim)
    {
        int bad = FirstNonFinite(values);
        if (bad >= 0) throw NonFinite(values[bad], firstPatch + bad / dim, bad % dim);
    }

    /// <summary>Index of the first NaN or infinity, or -1.</summary>
    internal static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }

        return -1;
    }

    internal static DinoSegModelException NonFinite(float value, int patch, int channel) =>
        new("finite feature values", $"{value} at patch {patch}, channel {channel}",
            "check the model file and its input normalisation; re-export the model if it produces NaN or infinity");
}
