using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LlmDataDist.Simulator.Cli.Scenarios;

/// <summary>
/// Reads a YAML scenario into the JSON node tree a JSON file would give, with where each node starts, so one loader
/// (and one set of rules) serves both. Scalars follow the YAML 1.2 core schema: plain <c>true</c>/<c>false</c>,
/// <c>null</c>/<c>~</c>/nothing, integers and floats are typed; everything else, and every quoted scalar, is a string.
/// </summary>
internal static partial class YamlScenario
{
    public static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>The document as JSON nodes, and the map of where each path starts.</summary>
    /// <exception cref="UsageException">Not valid YAML, not one document, or a key given twice.</exception>
    public static (JsonNode? Root, SourceMap Map) Read(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new UsageException($"{source}:{ex.Start.Line}:{ex.Start.Column}: $: not valid YAML: {PositionPrefix().Replace(ex.Message, string.Empty)}");
        }

        if (stream.Documents.Count != 1)
        {
            var at = stream.Documents.Count > 1 ? stream.Documents[1].RootNode.Start : Mark.Empty;
            throw new UsageException($"{source}:{at.Line}:{at.Column}: $: a scenario is one YAML document (got {stream.Documents.Count})");
        }

        var map = new SourceMap(source);
        var root = stream.Documents[0].RootNode;
        map.Add("$", root.Start.Line, root.Start.Column);
        return (Convert(root, "$", map, source), map);
    }

    private static JsonNode? Convert(YamlNode node, string path, SourceMap map, string source)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        throw new UsageException($"{source}:{keyNode.Start.Line}:{keyNode.Start.Column}: {path}: keys must be plain names");
                    }

                    // A key given twice is refused by the parser itself ("Duplicate key").
                    var child = $"{path}.{key}";
                    map.Add(child, keyNode.Start.Line, keyNode.Start.Column);
                    obj[key] = Convert(valueNode, child, map, source);
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    var child = $"{path}[{i}]";
                    map.Add(child, item.Start.Line, item.Start.Column);
                    array.Add(Convert(item, child, map, source));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new UsageException($"{source}:{node.Start.Line}:{node.Start.Column}: {path}: unsupported YAML node");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any) || tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(text);
        }

        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (DecimalNumber().IsMatch(text))
        {
            // Keep the digits as written: the same number in a JSON file reads identically.
            var json = text.TrimStart('+');
            json = json.StartsWith('.') ? "0" + json : json.StartsWith("-.", StringComparison.Ordinal) ? "-0" + json[1..] : json;
            json = json.Replace(".e", ".0e", StringComparison.OrdinalIgnoreCase);
            json = json.EndsWith('.') ? json + "0" : json;
            try
            {
                return JsonNode.Parse(json);
            }
            catch (System.Text.Json.JsonException)
            {
                // YAML allows what JSON does not (leading zeros): read the value instead.
                return JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
            }
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal) && text.Length > 2 && text[2..].All(c => c is >= '0' and <= '7'))
        {
            try
            {
                return JsonValue.Create(System.Convert.ToUInt64(text[2..], 8));
            }
            catch (OverflowException)
            {
                return JsonValue.Create(text);
            }
        }

        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex DecimalNumber();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex PositionPrefix();
}
