// The official prompt/decoder flows (CE: pull and push, cache and blocks, role switch) on the simulator or on the
// native backend, and a probe of the point-to-point bandwidth grid that writes the simulator's calibration CSV.
//
//   flows  [--backend sim|native] [--host-visible-memory] [--prompt-device N ...]     exit 1 on any byte mismatch
//   probe  [--backend sim|native] --out grid.csv [--total-mib 128] [--platform A2 --transport HCCS --path hixl_cs]
//
// The native backend loads the shim (LLMDD_SHIM_PATH, the package's native folder, or the system loader): see
// docs/hardware.md.
using System.CommandLine;
using LlmDataDist.Samples.Flows;

var backend = new Option<string>("--backend") { Description = "sim: the deterministic simulator (two A2 servers); native: the Ascend backend (CANN, or the fake engine in CI)", DefaultValueFactory = _ => "sim" };
backend.AcceptOnlyFromAmong("sim", "native");
var hostVisible = new Option<bool>("--host-visible-memory") { Description = "native only: cache memory is host memory (the fake engine), so bytes are checked" };
var promptDevice = new Option<int>("--prompt-device") { Description = "the prompt's device id", DefaultValueFactory = _ => 0 };
var decoderDevice = new Option<int>("--decoder-device") { Description = "the decoder's device id", DefaultValueFactory = _ => 1 };
var promptIp = new Option<string>("--prompt-ip") { Description = "the prompt's device IP", DefaultValueFactory = _ => "10.0.0.1" };
var decoderIp = new Option<string>("--decoder-ip") { Description = "the decoder's device IP", DefaultValueFactory = _ => "10.0.0.2" };
var port = new Option<int>("--port") { Description = "the listen port", DefaultValueFactory = _ => 26000 };
Option[] common = [backend, hostVisible, promptDevice, decoderDevice, promptIp, decoderIp, port];

var flows = new Command("flows", "run the official prompt/decoder flows and check the bytes received");
var output = new Option<FileInfo>("--out") { Description = "the CSV file to write", Required = true };
var totalMib = new Option<int>("--total-mib") { Description = "MiB moved per step (per block size and direction)", DefaultValueFactory = _ => 128 };
var repeats = new Option<int>("--repeats") { Description = "measured calls per point (the best counts), after one warm-up", DefaultValueFactory = _ => 3 };
var platform = new Option<string?>("--platform") { Description = "label of the hardware, e.g. A2, A3" };
var transport = new Option<string?>("--transport") { Description = "label of the link, e.g. HCCS, RoCE" };
var path = new Option<string?>("--path") { Description = "label of the transfer path, e.g. hixl_cs" };
var probe = new Command("probe", "measure the point-to-point bandwidth grid (16 KiB..2 MiB blocks, pull and push) and write CSV");
foreach (var option in common)
{
    flows.Options.Add(option);
    probe.Options.Add(option);
}

foreach (var option in new Option[] { output, totalMib, repeats, platform, transport, path })
{
    probe.Options.Add(option);
}

flows.SetAction(parse =>
{
    using var env = Environment(parse);
    var results = OfficialFlows.RunAll(env, Settings(parse), Console.Out);
    Console.WriteLine();
    foreach (var result in results)
    {
        Console.WriteLine($"{result.Verified switch { true => "ok  ", false => "FAIL", null => "ran " }} {result.Name}");
    }

    return results.Any(r => r.Verified == false) ? 1 : 0;
});

probe.SetAction(parse =>
{
    using var env = Environment(parse);
    var sim = env is SimulatedEnvironment;
    var labels = (parse.GetValue(platform) ?? (sim ? "sim-A2" : "unknown"), parse.GetValue(transport) ?? (sim ? "RoCE" : "unknown"), parse.GetValue(path) ?? (sim ? "model" : "llm_datadist"));
    Console.WriteLine($"probe [{env.Name}] {labels}: {parse.GetValue(totalMib)} MiB per step");
    var points = BandwidthProbe.Run(env, Settings(parse), labels, (long)parse.GetValue(totalMib) << 20, parse.GetValue(repeats), Console.Out);
    var file = parse.GetValue(output)!;
    using (var writer = file.CreateText())
    {
        BandwidthProbe.WriteCsv(points, writer);
    }

    Console.WriteLine($"wrote {points.Count} points to {file.FullName}");
    return 0;
});

var root = new RootCommand("LLM-DataDist prompt/decoder flows and the bandwidth probe, on the simulator or the native backend") { flows, probe };
return root.Parse(args).Invoke();

FlowEnvironment Environment(ParseResult parse) => parse.GetValue(backend) == "native"
    ? new NativeEnvironment(parse.GetValue(hostVisible))
    : new SimulatedEnvironment();

FlowSettings Settings(ParseResult parse) => new(parse.GetValue(promptDevice), parse.GetValue(decoderDevice), parse.GetValue(promptIp)!, parse.GetValue(decoderIp)!, checked((ushort)parse.GetValue(port)));
