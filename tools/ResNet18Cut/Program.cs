// Cuts the ResNet18 ONNX graph after layer 3 (stride 16, 256 channels) and makes its height and width symbolic,
// so DinoSeg can run it at any working size that is a multiple of 16.
//
// Usage: dotnet run --project tools/ResNet18Cut -- [OUTPUT.onnx] [--source RESNET18.onnx]
using System.Reflection;
using Onnx;

const string CutTensor = "ReLU347_Output_0"; // last ReLU of layer 3: stride 16, 256 channels
string output = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal))
    ?? Path.Combine("src", "DinoSeg", "Models", "resnet18-stride16.onnx"));
int sourceFlag = Array.IndexOf(args, "--source");
string source = sourceFlag >= 0 && sourceFlag + 1 < args.Length
    ? args[sourceFlag + 1]
    : typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "ResNet18SourceModel").Value!;

if (!File.Exists(source))
{
    Console.Error.WriteLine($"error: source model not found at '{source}'. Fix: run 'dotnet restore tools/ResNet18Cut' or pass --source PATH.");
    return 1;
}

ModelProto model = ModelProto.Parser.ParseFromFile(source);
GraphProto graph = model.Graph;

// Walk back from the cut tensor and keep only the nodes it depends on, in their original (topological) order.
var producers = graph.Node.ToDictionary(n => n.Output[0]);
var needed = new HashSet<NodeProto>();
var pending = new Stack<string>([CutTensor]);
while (pending.TryPop(out string? tensor))
{
    if (producers.TryGetValue(tensor, out NodeProto? node) && needed.Add(node))
    {
        foreach (string input in node.Input) pending.Push(input);
    }
}
var keptNodes = graph.Node.Where(needed.Contains).ToList();
graph.Node.Clear();
graph.Node.AddRange(keptNodes);

var usedInputs = keptNodes.SelectMany(n => n.Input).ToHashSet();
var keptInitializers = graph.Initializer.Where(i => usedInputs.Contains(i.Name)).ToList();
graph.Initializer.Clear();
graph.Initializer.AddRange(keptInitializers);
var keptInputs = graph.Input.Where(i => usedInputs.Contains(i.Name)).ToList();
graph.Input.Clear();
graph.Input.AddRange(keptInputs);

// The exporter recorded fixed 224x224 shapes for every intermediate tensor: drop them so ORT infers shapes per run.
graph.ValueInfo.Clear();

ValueInfoProto image = graph.Input.Single(i => i.Type.TensorType.Shape.Dim.Count == 4);
SetShape(image, ("1", 1), ("3", 3), ("height", 0), ("width", 0));
graph.Output.Clear();
var features = new ValueInfoProto
{
    Name = CutTensor,
    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() } },
};
SetShape(features, ("1", 1), ("256", 256), ("height/16", 0), ("width/16", 0));
graph.Output.Add(features);
graph.Name = "resnet18_stride16";
model.DocString = "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1, MIT) cut after layer 3 by DinoSeg tools/ResNet18Cut. " +
    "Input: BGR, 0-255, mean-subtracted (B 103.06, G 115.90, R 123.15), height and width multiples of 16. Output: 256 x H/16 x W/16.";

Directory.CreateDirectory(Path.GetDirectoryName(output)!);
model.WriteToFile(output);
Console.WriteLine($"wrote {output}: {keptNodes.Count} nodes, {keptInitializers.Count} initializers, {new FileInfo(output).Length / 1024} KiB");
return 0;

// A dim with value 0 becomes symbolic, named by its label.
static void SetShape(ValueInfoProto value, params (string Label, long Value)[] dims)
{
    var shape = value.Type.TensorType.Shape;
    shape.Dim.Clear();
    foreach (var (label, size) in dims)
    {
        shape.Dim.Add(size > 0
            ? new TensorShapeProto.Types.Dimension { DimValue = size }
            : new TensorShapeProto.Types.Dimension { DimParam = label });
    }
}
