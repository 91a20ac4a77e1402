using BenchmarkDotNet.Running;

// `dotnet run -c Release --project tests/LlmDataDist.Benchmarks -- --filter '*'` runs everything;
// BenchmarkDotNet's own arguments (--job short, --filter) apply.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
