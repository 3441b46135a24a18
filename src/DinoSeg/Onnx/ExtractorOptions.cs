using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace DinoSeg;

/// <summary>Where the backbone runs.</summary>
public enum ExecutionDevice
{
    /// <summary>CUDA when this package and machine can run it, else CPU; the extractor says which and why.</summary>
    Auto,

    /// <summary>CPU only.</summary>
    Cpu,

    /// <summary>CUDA only: fails with <see cref="DinoSegDeviceException"/> where CUDA cannot be used.</summary>
    Cuda,
}

/// <summary>How an <see cref="OnnxFeatureExtractor"/> builds its ONNX Runtime session and sizes its input.</summary>
/// <remarks>
/// Immutable and thread-safe. Values are checked when an extractor is created (an <see cref="ArgumentException"/> naming the
/// property).
/// </remarks>
public sealed record ExtractorOptions
{
    /// <summary>Largest <see cref="LongSide"/> accepted, in pixels.</summary>
    public const int MaxLongSide = 8192;

    /// <summary>Device choice. Default <see cref="ExecutionDevice.Auto"/>.</summary>
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>CUDA device ordinal when CUDA is used.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>Long side of the working image in pixels; null takes the backbone's <see cref="Backbone.DefaultLongSide"/>.</summary>
    public int? LongSide { get; init; }

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 lets it use one per physical core.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Graph optimisations applied when the session is built. Default: all (constant folding, fusions, layout changes).</summary>
    public GraphOptimizationLevel GraphOptimization { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Memory-pattern planning: pre-plans one arena for a given input shape. On by default; it is re-planned per new shape,
    /// which costs little because one image is extracted once.
    /// </summary>
    public bool EnableMemoryPattern { get; init; } = true;

    /// <summary>If set, ONNX Runtime saves the optimised graph here, for inspection or faster later loads.</summary>
    public string? OptimizedModelPath { get; init; }

    /// <summary>
    /// Receives the model load (source, size, time), the device chosen and why, fallbacks (warning when the CUDA build is
    /// installed but CUDA could not be used) and, at debug level, each extraction's timings. Default: no logging.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The defaults.</summary>
    public static ExtractorOptions Default { get; } = new();

    internal void Validate()
    {
        if (LongSide is <= 0) throw new ArgumentOutOfRangeException(nameof(LongSide), LongSide, "Long side must be positive.");
        if (LongSide > MaxLongSide) throw new ArgumentOutOfRangeException(nameof(LongSide), LongSide, $"Long side above {MaxLongSide} px is not supported.");
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfNegative(CudaDeviceId);
        if (Logger is null) throw new ArgumentNullException(nameof(Logger), "Logger must not be null; use NullLogger.Instance for none.");
        if (!Enum.IsDefined(Device)) throw new ArgumentOutOfRangeException(nameof(Device), Device, "Unknown execution device.");
        if (!Enum.IsDefined(GraphOptimization))
        {
            throw new ArgumentOutOfRangeException(nameof(GraphOptimization), GraphOptimization, "Unknown graph optimisation level.");
        }

        if (OptimizedModelPath is { } path && string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The optimised model path is empty; leave it null to not save the graph.", nameof(OptimizedModelPath));
        }
    }
}
