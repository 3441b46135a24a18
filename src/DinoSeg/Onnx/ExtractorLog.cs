using Microsoft.Extensions.Logging;

namespace DinoSeg;

/// <summary>The extractor's log messages, source-generated so that a disabled level costs one check and no allocation.</summary>
internal static partial class ExtractorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Loaded {Backbone} model from {Source} ({Bytes} bytes) in {ElapsedMs} ms; device {Device}: {DeviceReason}")]
    internal static partial void ModelLoaded(ILogger logger, string backbone, string source, long bytes, double elapsedMs,
        ExecutionDevice device, string deviceReason);

    /// <remarks>The level is a warning when the CUDA build is installed yet unusable, information when it is simply absent.</remarks>
    [LoggerMessage(EventId = 2, Message = "Device {Requested} requested; {Reason}")]
    internal static partial void CudaNotUsed(ILogger logger, LogLevel level, ExecutionDevice requested, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug,
        Message = "Extracted {Rows}x{Cols}x{Dim} features of a {Width}x{Height} image at {WorkingWidth}x{WorkingHeight} in {ElapsedMs} ms (preprocess {PreprocessMs} ms, model {RunMs} ms)")]
    internal static partial void Extracted(ILogger logger, int rows, int cols, int dim, int width, int height,
        int workingWidth, int workingHeight, double elapsedMs, double preprocessMs, double runMs);
}
