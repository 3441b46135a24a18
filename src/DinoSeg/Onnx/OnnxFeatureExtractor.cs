using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DinoSeg;

/// <summary>
/// Runs a backbone exported to ONNX and returns its patch features. Accepts outputs shaped <c>[1, T, D]</c>
/// (token sequence: prefix tokens are dropped) or <c>[1, D, rows, cols]</c> (feature map).
/// </summary>
/// <remarks>
/// Thread-safe: concurrent <see cref="Extract"/> calls share the one ONNX Runtime session, which supports that, and give
/// bit-for-bit the results of sequential calls. Owns the session: dispose the extractor to release native memory.
/// <see cref="Dispose"/> is idempotent but must not race with calls in flight; later <see cref="Extract"/> calls throw
/// <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class OnnxFeatureExtractor : IFeatureExtractor
{
    internal const string EmbeddedModelResource = "DinoSeg.Models.resnet18-stride16.onnx";

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly int _fixedWidth;
    private readonly int _fixedHeight;
    private readonly int _longSide;
    private readonly ILogger _logger;
    private int _disposed;

    private OnnxFeatureExtractor(InferenceSession session, Backbone backbone, ExtractorOptions options, ExecutionDevice device, string reason)
    {
        _session = session;
        Backbone = backbone;
        Device = device;
        DeviceReason = reason;
        _longSide = options.LongSide ?? backbone.DefaultLongSide;
        _logger = options.Logger;
        (_inputName, _fixedWidth, _fixedHeight) = CheckInput(session, backbone);
        _outputName = CheckOutput(session);
    }

    /// <inheritdoc/>
    public Backbone Backbone { get; }

    /// <summary>The device the session actually runs on.</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Why that device: what was requested and, after a fallback, what was missing.</summary>
    public string DeviceReason { get; }

    /// <summary>Long side of the working image, in pixels, before rounding to patch multiples.</summary>
    public int LongSide => _longSide;

    /// <summary>Loads an ONNX model file as the given backbone.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="DinoSegModelException">The file is not an ONNX model or its inputs and outputs do not fit.</exception>
    /// <exception cref="DinoSegDeviceException">CUDA was required and cannot be used.</exception>
    public static OnnxFeatureExtractor Create(string modelPath, Backbone backbone, ExtractorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"No ONNX model at '{modelPath}'.", modelPath);
        return Create(so => new InferenceSession(modelPath, so), modelPath, new FileInfo(modelPath).Length, backbone, options);
    }

    /// <summary>Loads an ONNX model from memory as the given backbone.</summary>
    /// <exception cref="DinoSegModelException">The bytes are not an ONNX model or its inputs and outputs do not fit.</exception>
    /// <exception cref="DinoSegDeviceException">CUDA was required and cannot be used.</exception>
    public static OnnxFeatureExtractor Create(byte[] model, Backbone backbone, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(so => new InferenceSession(model, so), "model bytes", model.LongLength, backbone, options);
    }

    /// <summary>The embedded default backbone (<see cref="Backbone.ResNet18"/>): works offline, no download.</summary>
    public static OnnxFeatureExtractor CreateDefault(ExtractorOptions? options = null) => CreateEmbedded(Backbone.ResNet18, options);

    /// <summary>The embedded model described by <paramref name="backbone"/> (ResNet18 or a variant of it, e.g. another long side).</summary>
    internal static OnnxFeatureExtractor CreateEmbedded(Backbone backbone, ExtractorOptions? options)
    {
        byte[] model = ReadEmbeddedModel();
        return Create(so => new InferenceSession(model, so), "the embedded resnet18-stride16.onnx", model.LongLength, backbone, options);
    }

    internal static byte[] ReadEmbeddedModel()
    {
        using Stream stream = typeof(OnnxFeatureExtractor).Assembly.GetManifestResourceStream(EmbeddedModelResource)
            ?? throw new InvalidOperationException($"The embedded model resource '{EmbeddedModelResource}' is missing from the DinoSeg assembly.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    internal static OnnxFeatureExtractor Create(Func<SessionOptions, InferenceSession> open, string source, long bytes, Backbone backbone,
        ExtractorOptions? options, DeviceSelector? devices = null)
    {
        long started = Stopwatch.GetTimestamp();
        ArgumentNullException.ThrowIfNull(backbone);
        backbone.Validate();
        options ??= ExtractorOptions.Default;
        options.Validate();

        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization,
            IntraOpNumThreads = options.IntraOpThreads,
            EnableMemoryPattern = options.EnableMemoryPattern,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.OptimizedModelPath is { } optimized) sessionOptions.OptimizedModelFilePath = optimized;
        devices ??= DeviceSelector.Default;
        var (device, reason) = devices.Apply(sessionOptions, options.Device, options.CudaDeviceId);
        if (device != options.Device && options.Device != ExecutionDevice.Cpu)
        {
            // With the CUDA build installed, a fallback means a broken CUDA set-up: worth a warning. Without it, it is expected.
            var level = devices.HasCudaProvider() ? LogLevel.Warning : LogLevel.Information;
            ExtractorLog.CudaNotUsed(options.Logger, level, options.Device, reason);
        }

        InferenceSession session;
        try
        {
            session = open(sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DinoSegModelException("an ONNX model file", $"{Path.GetFileName(source)} that ONNX Runtime cannot load ({FirstLine(e.Message)})",
                "export the backbone with tools/export (see docs/models.md) and pass the .onnx file", e);
        }

        try
        {
            var extractor = new OnnxFeatureExtractor(session, backbone, options, device, reason);
            ExtractorLog.ModelLoaded(options.Logger, backbone.Name, source, bytes, Milliseconds(started), device, reason);
            return extractor;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The working size this extractor uses for an image of the given size.</summary>
    public (int Width, int Height) WorkingSizeFor(int imageWidth, int imageHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        return _fixedWidth > 0
            ? (_fixedWidth, _fixedHeight)
            : Preprocessing.WorkingSize(imageWidth, imageHeight, _longSide, Backbone.PatchSize);
    }

    /// <inheritdoc/>
    /// <exception cref="DinoSegModelException">The output does not fit the backbone (token count, patch size) or holds NaN/infinity.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before or during the run.</exception>
    public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();

        long started = Stopwatch.GetTimestamp();
        var (width, height) = WorkingSizeFor(image.Width, image.Height);
        int rows = height / Backbone.PatchSize, cols = width / Backbone.PatchSize;
        int inputLength = 3 * width * height;
        float[] input = ArrayPool<float>.Shared.Rent(inputLength);
        try
        {
            Preprocessing.WriteNchw(image, width, height, Backbone, input);
            long preprocessed = Stopwatch.GetTimestamp();
            // ORT reads the pooled array in place: no copy into a tensor of its own.
            using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
                input.AsMemory(0, inputLength), [1, 3, height, width]);
            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
            IDisposableReadOnlyCollection<OrtValue> outputs;
            long ranAt;
            try
            {
                outputs = _session.Run(runOptions, [_inputName], [inputValue], [_outputName]);
                ranAt = Stopwatch.GetTimestamp();
            }
            catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (OnnxRuntimeException e)
            {
                throw new DinoSegModelException($"the model to run on a {width}x{height} input",
                    $"an ONNX Runtime error ({FirstLine(e.Message)})",
                    $"make sure the model accepts any height and width that are multiples of {Backbone.PatchSize} (export with dynamic axes)", e);
            }

            using (outputs)
            {
                // Copy out of ORT-owned memory before the output value is disposed.
                PatchFeatures features = ReadPatchFeatures(outputs.First(), rows, cols, width, height, image.Width, image.Height);
                ExtractorLog.Extracted(_logger, rows, cols, features.Dim, image.Width, image.Height, width, height, Milliseconds(started),
                    Milliseconds(started, preprocessed), Milliseconds(preprocessed, ranAt));
                return features;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
        }
    }

    private PatchFeatures ReadPatchFeatures(OrtValue output, int rows, int cols, int width, int height, int imageWidth, int imageHeight)
    {
        long[] shape = output.GetTensorTypeAndShape().Shape;
        ReadOnlySpan<float> data = output.GetTensorDataAsSpan<float>();
        int patches = rows * cols;
        bool centre = Backbone.CentreFeatures;
        float[] vectors;
        int dim;
        if (shape.Length == 3 && shape[0] == 1)
        {
            long tokens = shape[1];
            dim = checked((int)shape[2]);
            if (tokens != Backbone.PrefixTokens + patches) throw TokenMismatch(tokens, rows, cols, width, height);
            vectors = GC.AllocateUninitializedArray<float>(patches * dim);
            data.Slice(Backbone.PrefixTokens * dim, patches * dim).CopyTo(vectors);
        }
        else if (shape.Length == 4 && shape[0] == 1)
        {
            dim = checked((int)shape[1]);
            if (shape[2] != rows || shape[3] != cols)
            {
                throw new DinoSegModelException($"a {rows}x{cols} feature map for a {width}x{height} input (patch size {Backbone.PatchSize})",
                    $"a {shape[2]}x{shape[3]} map (stride about {height / Math.Max(1, shape[2])})",
                    $"load the model with a backbone whose PatchSize is the model's stride");
            }

            // The transpose centres the channels on the way, from their contiguous planes.
            vectors = GC.AllocateUninitializedArray<float>(patches * dim);
            FeatureLayout.ChannelMajorToPatchMajor(data[..(patches * dim)], dim, patches, centre, vectors);
            centre = false;
        }
        else
        {
            throw new DinoSegModelException("an output shaped [1, tokens, dim] or [1, dim, rows, cols]",
                $"[{string.Join(", ", shape)}]", "export the backbone's last hidden state or patch-token output (see docs/models.md)");
        }

        return PatchFeatures.Adopt(vectors, rows, cols, dim, Backbone.PatchSize, imageWidth, imageHeight, Backbone.Name, centre);
    }

    private DinoSegModelException TokenMismatch(long tokens, int rows, int cols, int width, int height)
    {
        int patches = rows * cols;
        string expected = $"{Backbone.PrefixTokens} prefix tokens + {rows}x{cols} patches = {Backbone.PrefixTokens + patches} tokens " +
            $"for a {width}x{height} input (patch size {Backbone.PatchSize})";
        long extra = tokens - patches;
        if (extra is >= 0 and <= 16)
        {
            return new DinoSegModelException(expected, $"{tokens} tokens: the model emits {extra} tokens before the patches",
                extra == 0
                    ? "load it with a backbone whose HasClassToken = false and RegisterTokens = 0"
                    : $"load it with a backbone whose RegisterTokens = {extra - 1} (e.g. {PresetWithRegisters(extra - 1)})");
        }

        foreach (int patch in (ReadOnlySpan<int>)[8, 14, 16, 32])
        {
            long grid = (long)(height / patch) * (width / patch);
            if (patch != Backbone.PatchSize && tokens - grid is >= 0 and <= 16)
            {
                return new DinoSegModelException(expected, $"{tokens} tokens, which fits a patch size of {patch}",
                    $"load it with a backbone whose PatchSize = {patch} (Backbone.Dinov2() for patch 14)");
            }
        }

        return new DinoSegModelException(expected, $"{tokens} tokens", "check the backbone preset matches the exported model");
    }

    private string PresetWithRegisters(long registers) => Backbone.PatchSize == 14
        ? $"Backbone.Dinov2(registers: {registers})"
        : $"Backbone.Dinov3 with {{ RegisterTokens = {registers} }}";

    private static (string Name, int FixedWidth, int FixedHeight) CheckInput(InferenceSession session, Backbone backbone)
    {
        if (session.InputMetadata.Count != 1)
        {
            throw new DinoSegModelException("exactly one input (the image)",
                $"{session.InputMetadata.Count} inputs: {string.Join(", ", session.InputMetadata.Keys)}",
                "re-export with only the pixel input (tools/export does; drop mask or other extra inputs)");
        }

        var (name, meta) = session.InputMetadata.First();
        int[] dims = meta.Dimensions;
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || dims.Length != 4 || (dims[1] != 3 && dims[1] > 0))
        {
            throw new DinoSegModelException("a float32 image input shaped [batch, 3, height, width]",
                $"input '{name}' of {meta.ElementDataType} shaped [{string.Join(", ", dims)}]",
                "export with a float32 NCHW pixel input (fp16 exports keep fp32 inputs and outputs)");
        }

        int height = dims[2], width = dims[3];
        if (height > 0 && width > 0)
        {
            if (height % backbone.PatchSize != 0 || width % backbone.PatchSize != 0)
            {
                throw new DinoSegModelException($"a fixed input size that is a multiple of the patch size {backbone.PatchSize}",
                    $"{width}x{height}", "re-export at a multiple of the patch size, or with dynamic height and width");
            }

            return (name, width, height);
        }

        return (name, 0, 0);
    }

    private static string CheckOutput(InferenceSession session)
    {
        var (name, meta) = session.OutputMetadata.First();
        int rank = meta.Dimensions.Length;
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || rank is not (3 or 4))
        {
            throw new DinoSegModelException("a float32 first output shaped [1, tokens, dim] or [1, dim, rows, cols]",
                $"output '{name}' of {meta.ElementDataType} with rank {rank}",
                "export the last hidden state (or patch tokens) as the first output, in float32");
        }

        return name;
    }

    private static double Milliseconds(long from) => Milliseconds(from, Stopwatch.GetTimestamp());

    private static double Milliseconds(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 2);

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>Releases the ONNX Runtime session. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _session.Dispose();
    }
}
