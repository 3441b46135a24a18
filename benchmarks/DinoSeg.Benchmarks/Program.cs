using BenchmarkDotNet.Running;
using DinoSeg.Benchmarks;

// dotnet run -c Release --project benchmarks/DinoSeg.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project benchmarks/DinoSeg.Benchmarks -- paired-extraction [ROUNDS]
if (args is ["paired-extraction", ..])
{
    PairedExtraction.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
