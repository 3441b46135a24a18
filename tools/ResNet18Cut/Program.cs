// Cuts the ResNet18 ONNX graph into the two models DinoSeg embeds, with symbolic height and width:
//   resnet18-layers23.onnx  image -> layer 3 (ReLU347, stride 16, 256 channels) and layer 2 (ReLU315, stride 8, 128 channels)
//   resnet18-layer4.onnx    layer 3 -> layer 4's second block (ReLU379, stride 32, 512 channels)
// Two models rather than one because ONNX Runtime runs a whole graph whatever outputs are asked for: a backbone that does
// not use layer 4 runs the first alone (any working size that is a multiple of 16), and one that does feeds the first's
// layer-3 output to the second (working sides multiples of 32: layer 4's strided convolutions pad unevenly).
//
// Usage: dotnet run --project tools/ResNet18Cut -- [OUTPUT_DIR] [--source RESNET18.onnx] [--weights mixed|float16|float32]
//
// mixed (the default, what DinoSeg embeds) stores the layer-4 model's convolution weights (75 % of all parameters) as
// float16 initialisers, each followed by a Cast to float32 that ONNX Runtime folds when it loads the model; the first
// model keeps the source's float32 weights, so its outputs are bit for bit those of the earlier layer-3 cut. float16 halves
// every convolution weight; float32 keeps them all. The measurements behind the choice are in src/DinoSeg/Models/NOTICE.md.
using System.Reflection;
using Google.Protobuf;
using Onnx;

const string Layer3 = "ReLU347_Output_0"; // last ReLU of layer 3: stride 16, 256 channels
const string Layer2 = "ReLU315_Output_0"; // last ReLU of layer 2: stride 8, 128 channels
// Layer 4 of this CNTK export has three blocks; the second ends at ReLU379 (the third, at ReLU393, would add two more
// 512x512 convolutions, 19 MB of float32 weights).
const string Layer4 = "ReLU379_Output_0";

string outputDir = Path.GetFullPath(args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal)))
    .FirstOrDefault() ?? Path.Combine("src", "DinoSeg", "Models"));
string? Flag(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

string source = Flag("--source")
    ?? typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18SourceModel").Value!;
string weights = Flag("--weights") ?? "mixed";
if (weights is not ("mixed" or "float16" or "float32"))
{
    Console.Error.WriteLine($"error: --weights must be mixed, float16 or float32, not '{weights}'.");
    return 2;
}

if (!File.Exists(source))
{
    Console.Error.WriteLine($"error: source model not found at '{source}'. Fix: run 'dotnet restore tools/ResNet18Cut' or pass --source PATH.");
    return 1;
}

ModelProto original = ModelProto.Parser.ParseFromFile(source);
var producers = original.Graph.Node.ToDictionary(n => n.Output[0]);
string image = original.Graph.Input.Single().Name; // the exporter lists no initialiser among the inputs
const string Preprocessing = "Input: BGR, 0-255, mean-subtracted (B 103.06, G 115.90, R 123.15).";

// First model: the image to layers 3 and 2 (layer 3 first, so a reader of the first output alone gets the earlier cut).
HashSet<NodeProto> upToLayer3 = Ancestors([Layer3, Layer2]);
ModelProto head = Cut(original, upToLayer3, halve: weights == "float16", "resnet18_layers23",
    [(image, 3, 1)], [(Layer3, 256, 16), (Layer2, 128, 8)],
    "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT) from the image to layer 3, by DinoSeg tools/ResNet18Cut. " +
    Preprocessing + " Height and width multiples of 16. Outputs: ReLU347_Output_0 256 x H/16 x W/16 (layer 3), " +
    "ReLU315_Output_0 128 x H/8 x W/8 (layer 2).");

// Second model: layer 3's output to the end of layer 4's second block.
var layer4Nodes = Ancestors([Layer4]);
layer4Nodes.ExceptWith(Ancestors([Layer3]));
ModelProto tail = Cut(original, layer4Nodes, halve: weights != "float32", "resnet18_layer4",
    [(Layer3, 256, 16)], [(Layer4, 512, 32)],
    "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT) layer 4 blocks 1-2, by DinoSeg tools/ResNet18Cut: " +
    "input ReLU347_Output_0 (layer 3, 256 x H/16 x W/16, H and W multiples of 32), output ReLU379_Output_0 512 x H/32 x W/32.");

Directory.CreateDirectory(outputDir);
foreach (var (file, model) in new[] { ("resnet18-layers23.onnx", head), ("resnet18-layer4.onnx", tail) })
{
    string path = Path.Combine(outputDir, file);
    model.WriteToFile(path);
    int casts = model.Graph.Node.Count(n => n.OpType == "Cast");
    Console.WriteLine($"wrote {path}: {model.Graph.Node.Count - casts} nodes + {casts} casts, {model.Graph.Initializer.Count} initializers ({weights}), " +
        $"{new FileInfo(path).Length / 1024} KiB");
}

return 0;

// The nodes the given tensors depend on.
HashSet<NodeProto> Ancestors(IEnumerable<string> tensors)
{
    var needed = new HashSet<NodeProto>();
    var pending = new Stack<string>(tensors);
    while (pending.TryPop(out string? tensor))
    {
        if (producers.TryGetValue(tensor, out NodeProto? node) && needed.Add(node))
        {
            foreach (string input in node.Input) pending.Push(input);
        }
    }

    return needed;
}

// A copy of the model with only the given nodes (in their original, topological order) and the weights they use.
// Inputs are (name, channels, stride) of 4-d float tensors with symbolic height and width, outputs likewise.
static ModelProto Cut(ModelProto original, HashSet<NodeProto> nodes, bool halve, string name,
    (string Tensor, int Channels, int Stride)[] inputs, (string Tensor, int Channels, int Stride)[] outputs, string doc)
{
    ModelProto model = original.Clone();
    GraphProto graph = model.Graph;
    var keptNodes = original.Graph.Node.Where(nodes.Contains).Select(n => n.Clone()).ToList();
    var produced = keptNodes.SelectMany(n => n.Output).ToHashSet();
    var usedInputs = keptNodes.SelectMany(n => n.Input).ToHashSet();
    var keptInitializers = graph.Initializer.Where(i => usedInputs.Contains(i.Name)).ToList();
    var initializerNames = keptInitializers.Select(i => i.Name).ToHashSet();
    var external = usedInputs.Where(i => !produced.Contains(i) && !initializerNames.Contains(i)).ToHashSet();
    if (!external.SetEquals(inputs.Select(i => i.Tensor)))
    {
        throw new InvalidOperationException($"{name}: the nodes read {string.Join(", ", external)}, not only {string.Join(", ", inputs.Select(i => i.Tensor))}.");
    }

    // Halve the convolution weights (4-d initialisers: 99.9 % of the bytes); batch-norm vectors stay float32. A float16
    // value is rounded to nearest even from the float32 one (System.Half), so the file is the same on every run and machine.
    var casts = new List<NodeProto>();
    if (halve)
    {
        for (int k = 0; k < keptInitializers.Count; k++)
        {
            TensorProto t = keptInitializers[k];
            if (t.Dims.Count != 4 || t.DataType != (int)TensorProto.Types.DataType.Float) continue;
            keptInitializers[k] = ToFloat16(t, t.Name + "_fp16");
            casts.Add(new NodeProto
            {
                Name = "Cast_" + t.Name,
                OpType = "Cast",
                Input = { t.Name + "_fp16" },
                Output = { t.Name },
                Attribute = { new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (long)TensorProto.Types.DataType.Float } },
            });
        }
    }

    graph.Node.Clear();
    graph.Node.AddRange(casts);
    graph.Node.AddRange(keptNodes);
    graph.Initializer.Clear();
    graph.Initializer.AddRange(keptInitializers);
    // The exporter recorded fixed 224x224 shapes for every intermediate tensor: drop them so ORT infers shapes per run.
    graph.ValueInfo.Clear();
    graph.Input.Clear();
    graph.Input.AddRange(inputs.Select(Value));
    graph.Output.Clear();
    graph.Output.AddRange(outputs.Select(Value));
    graph.Name = name;
    model.DocString = doc;
    return model;
}

// A float tensor [1, channels, height/stride, width/stride] with symbolic height and width.
static ValueInfoProto Value((string Tensor, int Channels, int Stride) t)
{
    var shape = new TensorShapeProto();
    shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
    shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = t.Channels });
    shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = t.Stride == 1 ? "height" : $"height/{t.Stride}" });
    shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = t.Stride == 1 ? "width" : $"width/{t.Stride}" });
    return new ValueInfoProto
    {
        Name = t.Tensor,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
    };
}

static TensorProto ToFloat16(TensorProto t, string name)
{
    var bits = new byte[2 * t.FloatData.Count];
    for (int i = 0; i < t.FloatData.Count; i++)
    {
        ushort h = BitConverter.HalfToUInt16Bits((Half)t.FloatData[i]);
        bits[2 * i] = (byte)h;
        bits[2 * i + 1] = (byte)(h >> 8);
    }

    var half = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float16, RawData = ByteString.CopyFrom(bits) };
    half.Dims.AddRange(t.Dims);
    return half;
}
