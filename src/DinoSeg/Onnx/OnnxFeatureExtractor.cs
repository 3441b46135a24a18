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
/// (token sequence: prefix tokens are dropped) or <c>[1, D, rows, cols]</c> (feature map); for a backbone with
/// <see cref="Backbone.Blocks"/>, several feature maps at their own strides, fused into one vector per patch.
/// </summary>
/// <remarks>
/// Thread-safe: concurrent <see cref="Extract"/> calls share the ONNX Runtime session (two for the embedded model when a
/// block reads layer 4), which supports that, and give bit-for-bit the results of sequential calls. Owns the sessions:
/// dispose the extractor to release native memory.
/// <see cref="Dispose"/> is idempotent and may race with calls in flight: it waits for them to finish before freeing the
/// sessions, and calls that start after it began throw <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed class OnnxFeatureExtractor : IFeatureExtractor
{
    /// <summary>The embedded model's first part: image to layers 3 and 2 (float32, as the earlier layer-3 cut).</summary>
    internal const string EmbeddedModelFile = "resnet18-layers23.onnx";

    /// <summary>Its second part, run only when a block reads layer 4: layer 3's output to layer 4's second block.</summary>
    internal const string EmbeddedLayer4File = "resnet18-layer4.onnx";

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string[] _outputNames;
    private readonly FeatureBlock[] _blocks;
    // Where each used block's map comes from: an output of _session, or (FromTail) of _tail.
    private readonly (bool FromTail, int Index)[] _sources;
    // A second model fed one of _session's outputs (the embedded layer 4), or null.
    private readonly InferenceSession? _tail;
    private readonly string _tailInputName = "";
    private readonly int _tailInputIndex;
    private readonly string[] _tailOutputNames = [];
    private readonly int _fixedWidth;
    private readonly int _fixedHeight;
    private readonly int _longSide;
    private readonly ILogger _logger;
    private readonly InFlightGate _gate = new();

    private OnnxFeatureExtractor(InferenceSession session, InferenceSession? tail, Backbone backbone, ExtractorOptions options, ExecutionDevice device,
        string reason)
    {
        _session = session;
        _tail = tail;
        Backbone = backbone;
        Device = device;
        DeviceReason = reason;
        _longSide = options.LongSide ?? backbone.DefaultLongSide;
        _logger = options.Logger;
        (_inputName, _fixedWidth, _fixedHeight) = CheckInput(session, backbone);
        if (backbone.Blocks.Count == 0)
        {
            _outputNames = [CheckOutput(session)];
            _blocks = [];
            _sources = [];
            return;
        }

        _blocks = [.. backbone.UsedBlocks];
        _sources = new (bool, int)[_blocks.Length];
        var names = new List<string>();
        var tailNames = new List<string>();
        for (int k = 0; k < _blocks.Length; k++)
        {
            FeatureBlock block = _blocks[k];
            bool fromTail = !session.OutputMetadata.ContainsKey(block.Output) && tail is not null && tail.OutputMetadata.ContainsKey(block.Output);
            CheckBlockOutput(fromTail ? tail! : session, block, backbone);
            List<string> list = fromTail ? tailNames : names;
            _sources[k] = (fromTail, list.Count);
            list.Add(block.Output);
        }

        if (tail is not null)
        {
            // The second model reads one output of the first: ask the first for it too.
            _tailInputName = tail.InputMetadata.Keys.Single();
            _tailInputIndex = names.IndexOf(_tailInputName);
            if (_tailInputIndex < 0)
            {
                _tailInputIndex = names.Count;
                names.Add(_tailInputName);
            }

            _tailOutputNames = [.. tailNames];
        }

        _outputNames = [.. names];
    }

    /// <inheritdoc/>
    public Backbone Backbone { get; }

    /// <summary>The device the session actually runs on.</summary>
    public ExecutionDevice Device { get; }

    /// <summary>Why that device: what was requested and, after a fallback, what was missing.</summary>
    public string DeviceReason { get; }

    /// <summary>Long side of the working image, in pixels, before rounding to multiples of <see cref="DinoSeg.Backbone.WorkingMultiple"/>.</summary>
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

    /// <summary>
    /// The embedded model read as <paramref name="backbone"/>: <see cref="Backbone.ResNet18"/>, <see cref="Backbone.ResNet18Layer3"/>
    /// or either changed with <c>with</c> (block weights, long side, threshold), e.g.
    /// <c>CreateDefault(Backbone.ResNet18.WithBlockWeights(0.5f, 1f, 1f) with { DefaultLongSide = 768 })</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The backbone is not a ResNet18 preset (its name is another's).</exception>
    public static OnnxFeatureExtractor CreateDefault(Backbone backbone, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (!backbone.IsEmbedded)
        {
            throw new ArgumentException($"Backbone '{backbone.Name}' is not embedded: load its model with Create(path, backbone), or pass a ResNet18 preset.", nameof(backbone));
        }

        return CreateEmbedded(backbone, options);
    }

    /// <summary>
    /// The embedded model described by <paramref name="backbone"/> (ResNet18 or a variant of it, e.g. another long side or
    /// other block weights). Its layer-4 part is loaded only when a block with weight &gt; 0 reads it.
    /// </summary>
    internal static OnnxFeatureExtractor CreateEmbedded(Backbone backbone, ExtractorOptions? options)
    {
        byte[] model = ReadEmbeddedModel();
        var layer4 = new Lazy<byte[]>(() => ReadEmbeddedModel(EmbeddedLayer4File));
        return Create(so => new InferenceSession(model, so), $"the embedded {EmbeddedModelFile} (+ {EmbeddedLayer4File} for layer 4)", model.LongLength,
            backbone, options, tail: (so => new InferenceSession(layer4.Value, so), () => layer4.Value.LongLength));
    }

    /// <summary>The bytes of an embedded model file (by default the first part, <see cref="EmbeddedModelFile"/>).</summary>
    internal static byte[] ReadEmbeddedModel(string file = EmbeddedModelFile)
    {
        string resource = "DinoSeg.Models." + file;
        using Stream stream = typeof(OnnxFeatureExtractor).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded model resource '{resource}' is missing from the DinoSeg assembly.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <param name="open">Opens the model; its first input is the image.</param>
    /// <param name="source">What to call the model in messages and the log.</param>
    /// <param name="bytes">Its size, for the log.</param>
    /// <param name="backbone">The backbone it is.</param>
    /// <param name="options">Extractor options; the defaults when null.</param>
    /// <param name="devices">Device selection (a stand-in in tests).</param>
    /// <param name="tail">
    /// A second model whose one input is an output of the first, opened only when a used block is among its outputs and not
    /// the first's (the embedded layer 4), with its size for the log.
    /// </param>
    internal static OnnxFeatureExtractor Create(Func<SessionOptions, InferenceSession> open, string source, long bytes, Backbone backbone,
        ExtractorOptions? options, DeviceSelector? devices = null, (Func<SessionOptions, InferenceSession> Open, Func<long> Bytes)? tail = null)
    {
        long started = Stopwatch.GetTimestamp();
        ArgumentNullException.ThrowIfNull(backbone);
        backbone.Validate();
        options ??= ExtractorOptions.Default;
        options.Validate();

        using var sessionOptions = NewSessionOptions(options);
        if (options.OptimizedModelPath is { } optimized) sessionOptions.OptimizedModelFilePath = optimized;
        devices ??= DeviceSelector.Default;
        var (device, reason) = devices.Apply(sessionOptions, options.Device, options.CudaDeviceId);
        if (device != options.Device && options.Device != ExecutionDevice.Cpu)
        {
            // With the CUDA build installed, a fallback means a broken CUDA set-up: worth a warning. Without it, it is expected.
            var level = devices.HasCudaProvider() ? LogLevel.Warning : LogLevel.Information;
            ExtractorLog.CudaNotUsed(options.Logger, level, options.Device, reason);
        }

        InferenceSession session = OpenOrThrow(open, sessionOptions, source);

        InferenceSession? tailSession = null;
        try
        {
            if (tail is { } second && backbone.UsedBlocks.Any(b => !session.OutputMetadata.ContainsKey(b.Output)))
            {
                // The same settings and device; only the first model is written to OptimizedModelPath.
                using var tailOptions = NewSessionOptions(options);
                devices.Apply(tailOptions, options.Device, options.CudaDeviceId);
                tailSession = OpenOrThrow(second.Open, tailOptions, source);
                bytes += second.Bytes();
            }

            var extractor = new OnnxFeatureExtractor(session, tailSession, backbone, options, device, reason);
            ExtractorLog.ModelLoaded(options.Logger, backbone.Name, source, bytes, Milliseconds(started), device, reason);
            return extractor;
        }
        catch
        {
            tailSession?.Dispose();
            session.Dispose();
            throw;
        }
    }

    private static SessionOptions NewSessionOptions(ExtractorOptions options) => new()
    {
        GraphOptimizationLevel = options.GraphOptimization,
        IntraOpNumThreads = options.IntraOpThreads,
        EnableMemoryPattern = options.EnableMemoryPattern,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    private static InferenceSession OpenOrThrow(Func<SessionOptions, InferenceSession> open, SessionOptions options, string source)
    {
        try
        {
            return open(options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DinoSegModelException("an ONNX model file", $"{Path.GetFileName(source)} that ONNX Runtime cannot load ({FirstLine(e.Message)})",
                "export the backbone with tools/export (see docs/models.md) and pass the .onnx file", e);
        }
    }

    /// <summary>The working size this extractor uses for an image of the given size: both sides multiples of <see cref="DinoSeg.Backbone.WorkingMultiple"/>.</summary>
    public (int Width, int Height) WorkingSizeFor(int imageWidth, int imageHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        return _fixedWidth > 0
            ? (_fixedWidth, _fixedHeight)
            : Preprocessing.WorkingSize(imageWidth, imageHeight, _longSide, Backbone.WorkingMultiple);
    }

    /// <inheritdoc/>
    /// <exception cref="DinoSegModelException">The output does not fit the backbone (token count, patch size) or holds NaN/infinity.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before or during the run.</exception>
    public PatchFeatures Extract(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        cancellationToken.ThrowIfCancellationRequested();
        // Dispose waits for this scope, so the sessions outlive every run and every read of their outputs.
        using InFlightGate.Scope inFlight = _gate.Enter(this);

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
            IDisposableReadOnlyCollection<OrtValue>? tailOutputs = null;
            long ranAt;
            try
            {
                outputs = _session.Run(runOptions, [_inputName], [inputValue], _outputNames);
                try
                {
                    // The second model reads the first's output in place.
                    if (_tail is not null) tailOutputs = _tail.Run(runOptions, [_tailInputName], [outputs.ElementAt(_tailInputIndex)], _tailOutputNames);
                }
                catch
                {
                    outputs.Dispose();
                    throw;
                }

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
                    $"make sure the model accepts any height and width that are multiples of {Backbone.WorkingMultiple} (export with dynamic axes)", e);
            }

            using (outputs)
            using (tailOutputs)
            {
                // Copy out of ORT-owned memory before the output values are disposed. One block at the patch stride is read
                // exactly as a single output is.
                PatchFeatures features = _blocks.Length > 1 || (_blocks.Length == 1 && _blocks[0].Stride != Backbone.PatchSize)
                    ? FuseBlocks(outputs, tailOutputs, rows, cols, width, height, image.Width, image.Height)
                    : ReadPatchFeatures(BlockValue(outputs, tailOutputs, 0), rows, cols, width, height, image.Width, image.Height);
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

    /// <summary>The map of used block k (the first output when the backbone has no blocks).</summary>
    private OrtValue BlockValue(IDisposableReadOnlyCollection<OrtValue> outputs, IDisposableReadOnlyCollection<OrtValue>? tailOutputs, int k)
    {
        if (_sources.Length == 0) return outputs.First();
        var (fromTail, index) = _sources[k];
        return (fromTail ? tailOutputs! : outputs).ElementAt(index);
    }

    private PatchFeatures FuseBlocks(IDisposableReadOnlyCollection<OrtValue> outputs, IDisposableReadOnlyCollection<OrtValue>? tailOutputs,
        int rows, int cols, int width, int height, int imageWidth, int imageHeight)
    {
        int dim = 0;
        for (int k = 0; k < _blocks.Length; k++)
        {
            FeatureBlock block = _blocks[k];
            long[] shape = BlockValue(outputs, tailOutputs, k).GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != 1 || shape[2] != height / block.Stride || shape[3] != width / block.Stride)
            {
                throw new DinoSegModelException(
                    $"output '{block.Output}' shaped [1, channels, {height / block.Stride}, {width / block.Stride}] for a {width}x{height} input (stride {block.Stride})",
                    $"[{string.Join(", ", shape)}]", "set each block's Stride to its output's stride, or check the backbone preset matches the model");
            }

            dim = checked(dim + (int)shape[1]);
        }

        int patches = rows * cols;
        float[] vectors = GC.AllocateUninitializedArray<float>(checked(patches * dim));
        int offset = 0;
        for (int k = 0; k < _blocks.Length; k++)
        {
            OrtValue value = BlockValue(outputs, tailOutputs, k);
            long[] shape = value.GetTensorTypeAndShape().Shape;
            int channels = (int)shape[1];
            BlockFusion.WriteBlock(value.GetTensorDataAsSpan<float>(), channels, (int)shape[2], (int)shape[3], rows, cols,
                Backbone.CentreFeatures, _blocks[k].Weight, vectors, dim, offset);
            offset += channels;
        }

        // Every block is a unit vector times its weight: Adopt normalises the concatenation.
        return PatchFeatures.Adopt(vectors, rows, cols, dim, Backbone.PatchSize, imageWidth, imageHeight, Backbone.Name, centreChannels: false);
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
            int multiple = backbone.WorkingMultiple;
            if (height % multiple != 0 || width % multiple != 0)
            {
                throw new DinoSegModelException(multiple == backbone.PatchSize
                    ? $"a fixed input size that is a multiple of the patch size {backbone.PatchSize}"
                    : $"a fixed input size that is a multiple of {multiple} (the patch size and the used blocks' strides)",
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

    private static void CheckBlockOutput(InferenceSession session, FeatureBlock block, Backbone backbone)
    {
        if (!session.OutputMetadata.TryGetValue(block.Output, out NodeMetadata? meta))
        {
            throw new DinoSegModelException($"an output named '{block.Output}' (a block of backbone '{backbone.Name}', stride {block.Stride})",
                $"outputs {string.Join(", ", session.OutputMetadata.Keys)}",
                "load the model the backbone's Blocks describe (the embedded model for the ResNet18 presets), or set Blocks to [] to read the first output");
        }

        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || meta.Dimensions.Length != 4)
        {
            throw new DinoSegModelException($"output '{block.Output}' as a float32 feature map [1, channels, rows, cols]",
                $"{meta.ElementDataType} with rank {meta.Dimensions.Length}", "point the block at a feature-map output of the model");
        }
    }

    private static double Milliseconds(long from) => Milliseconds(from, Stopwatch.GetTimestamp());

    private static double Milliseconds(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 2);

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>Releases the ONNX Runtime sessions. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (!_gate.Close()) return; // waits for the calls in flight
        _tail?.Dispose();
        _session.Dispose();
    }
}
