using System.Text;
using LlmDataDist.Generators.Emit.Native;

// Writes the native shim (C header, C++ source) and its C# interop from the spec, or with --check lists the
// checked-in files that differ from what the spec generates now (exit 1), for CI and pre-commit use.
var check = false;
string? root = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--check":
            check = true;
            break;
        case "--root" when i + 1 < args.Length:
            root = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: LlmDataDist.Generators.Cli [--check] [--root <repository>]");
            Console.WriteLine("  writes " + string.Join(", ", NativeShimEmitter.HeaderPath, NativeShimEmitter.SourcePath, NativeShimEmitter.NativeMethodsPath));
            Console.WriteLine("  --check  write nothing; exit 1 and list the files that are stale");
            return 0;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}' (usage: LlmDataDist.Generators.Cli [--check] [--root <repository>])");
            return 2;
    }
}

root ??= FindRoot(Directory.GetCurrentDirectory());
if (root is null || !Directory.Exists(Path.Combine(root, NativeShimEmitter.SpecDirectory)))
{
    Console.Error.WriteLine($"cannot find the repository (a folder with {NativeShimEmitter.SpecDirectory}); run inside it or pass --root");
    return 2;
}

var specDirectory = Path.Combine(root, NativeShimEmitter.SpecDirectory);
var specFiles = Directory.GetFiles(specDirectory)
    .OrderBy(p => p, StringComparer.Ordinal)
    .Select(p => (NativeShimEmitter.SpecDirectory + "/" + Path.GetFileName(p), File.ReadAllText(p)));
var result = NativeShimEmitter.Generate(specFiles);
foreach (var warning in result.Warnings)
{
    Console.Error.WriteLine("warning: " + warning);
}

if (result.Errors.Count > 0)
{
    foreach (var error in result.Errors)
    {
        Console.Error.WriteLine("error: " + error);
    }

    return 2;
}

var stale = new List<string>();
foreach (var file in result.Files)
{
    var path = Path.Combine(root, file.RelativePath);
    var current = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : null;
    if (current == file.Content)
    {
        continue;
    }

    stale.Add(file.RelativePath);
    if (!check)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, file.Content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}

if (check)
{
    foreach (var path in stale)
    {
        Console.WriteLine("stale: " + path);
    }

    if (stale.Count > 0)
    {
        Console.WriteLine($"{stale.Count} generated file(s) differ from the spec; regenerate with `{NativeShimEmitter.RegenerateCommand}`.");
        return 1;
    }

    Console.WriteLine("generated native shim files are up to date");
    return 0;
}

Console.WriteLine(stale.Count == 0 ? "up to date, nothing written" : "wrote " + string.Join(", ", stale));
return 0;

static string? FindRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "LlmDataDist.sln")))
        {
            return dir.FullName;
        }
    }

    return null;
}
