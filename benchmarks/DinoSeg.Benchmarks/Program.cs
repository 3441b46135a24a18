using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/DinoSeg.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
