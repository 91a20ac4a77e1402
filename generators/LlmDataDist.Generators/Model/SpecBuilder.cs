using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Parsing;

namespace LlmDataDist.Generators.Model
{
    /// <summary>The parse of one spec file: a header's declarations or the annotations.</summary>
    internal sealed record ParsedFile(string Path, HeaderDecls? Header, AnnotationDecls? Annotations, EquatableArray<SpecDiagnostic> Diagnostics);

    internal sealed record BuildResult(ApiSpec? Spec, EquatableArray<SpecDiagnostic> Diagnostics);

    /// <summary>
    /// Joins the headers and the annotations into one <see cref="ApiSpec"/>: resolves aliases and types, names
    /// everything for .NET, translates defaults, and reports what cannot be mapped or what an annotation names
    /// that does not exist. Never throws for bad input: every problem is a diagnostic.
    /// </summary>
    internal sealed partial class SpecBuilder
    {
        private readonly List<SpecDiagnostic> _diagnostics = new();
        private readonly List<RawConstant> _constants = new();
        private readonly List<RawEnum> _enums = new();
        private readonly List<RawStruct> _structs = new();
        private readonly List<RawClass> _classes = new();
        private readonly List<RawUsing> _usings = new();
        private readonly List<AnnotationSection> _sections = new();
        private readonly HashSet<AnnotationSection> _usedSections = new();
        private readonly Dictionary<string, string> _enumNames = new(System.StringComparer.Ordinal);
        private readonly HashSet<string> _structNames = new(System.StringComparer.Ordinal);
        private readonly string _namespace;
        private string _classNamespace = string.Empty;
        private SourceSpot _fallbackSpot = new(string.Empty, 0, 0, 0, 0, 0, 0);

        private SpecBuilder(string @namespace) => _namespace = @namespace;

        public static BuildResult Build(IReadOnlyList<ParsedFile> files, string @namespace)
        {
            var builder = new SpecBuilder(@namespace);
            try
            {
                var spec = builder.Run(files);
                return new BuildResult(spec, builder._diagnostics.ToEquatableArray());
            }
            catch (System.Exception ex) when (ex is not System.OperationCanceledException)
            {
                // A bug in the builder must surface as a diagnostic, never as a generator crash.
                builder._diagnostics.Add(SpecDiagnostic.Create(Descriptors.InternalError, builder._fallbackSpot, ex.GetType().Name + ": " + ex.Message));
                return new BuildResult(null, builder._diagnostics.ToEquatableArray());
            }
        }

        private ApiSpec? Run(IReadOnlyList<ParsedFile> files)
        {
            foreach (var file in files.OrderBy(f => f.Path, System.StringComparer.Ordinal))
            {
                if (file.Header is { } header)
                {
                    _fallbackSpot = new SourceSpot(file.Path, 0, 0, 0, 0, 0, 0);
                    _constants.AddRange(header.Constants);
                    _enums.AddRange(header.Enums);
                    _structs.AddRange(header.Structs);
                    _classes.AddRange(header.Classes);
                    _usings.AddRange(header.Usings);
                }

                if (file.Annotations is { } annotations)
                {
                    _sections.AddRange(annotations.Sections);
                }
            }

            var rawClass = _classes.FirstOrDefault(c => c.Methods.Any(m => m.Kind == MethodKind.Method));
            if (rawClass is null)
            {
                _diagnostics.Add(SpecDiagnostic.Create(Descriptors.MissingClass, _fallbackSpot));
                return null;
            }

            _classNamespace = rawClass.Namespace;
            var enums = BuildEnums();
            foreach (var e in enums)
            {
                _enumNames[e.NativeName] = e.ManagedName;
            }

            // One generated file per type name: a second declaration of a name (a struct twice, or a struct named like
            // an enum) is reported and skipped, never emitted twice.
            var classStructs = new List<RawStruct>();
            foreach (var s in _structs.Where(s => s.Namespace == _classNamespace))
            {
                if (_enumNames.ContainsKey(s.Name) || !_structNames.Add(s.Name))
                {
                    Report(Descriptors.UnknownConstruct, s.Spot, "second declaration of '" + s.Name + "'");
                    continue;
                }

                classStructs.Add(s);
            }

            var structs = classStructs.Select(BuildStruct).ToList();
            var statuses = BuildStatuses();
            var options = BuildOptions();
            var cls = BuildClass(rawClass);
            ReportUnusedSections();
            return new ApiSpec(_namespace, cls, enums.ToEquatableArray(), structs.ToEquatableArray(), statuses.ToEquatableArray(), options.ToEquatableArray());
        }

        private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor rule, SourceSpot spot, params string[] args) =>
            _diagnostics.Add(SpecDiagnostic.Create(rule, spot, args));

        // ---- annotations -------------------------------------------------------------------------------------

        private AnnotationSection? Section(string kind, string target)
        {
            foreach (var section in _sections)
            {
                if (section.Kind == kind && section.Target == target)
                {
                    _usedSections.Add(section);
                    return section;
                }
            }

            return null;
        }

        private static string? Value(AnnotationSection? section, string key)
        {
            if (section is null)
            {
                return null;
            }

            foreach (var entry in section.Entries)
            {
                if (entry.Key == key)
                {
                    return entry.Value;
                }
            }

            return null;
        }

        /// <summary>Where a key's line is, so a bad value is reported on its own line (the section's line if the key is absent).</summary>
        private static SourceSpot KeySpot(AnnotationSection section, string key)
        {
            foreach (var entry in section.Entries)
            {
                if (entry.Key == key)
                {
                    return entry.Spot;
                }
            }

            return section.Spot;
        }

        private static readonly Dictionary<string, string[]> KeysByKind = new()
        {
            ["class"] = new[] { "name", "summary", "dispose" },
            ["method"] = new[] { "name", "summary", "returns", "disposes" },
            ["param"] = new[] { "usage", "summary" },
            ["option"] = new[] { "type", "summary" },
            ["status"] = new[] { "summary", "recoverable", "advice" },
            ["struct"] = new[] { "summary" },
            ["field"] = new[] { "type", "summary" },
            ["enum"] = new[] { "summary" },
            ["member"] = new[] { "summary", "name" },
            ["datatypes"] = System.Array.Empty<string>(),
        };

        /// <summary>Sections that matched nothing, keys that mean nothing: reported with the closest valid name.</summary>
        private void ReportUnusedSections()
        {
            foreach (var section in _sections)
            {
                if (!KeysByKind.TryGetValue(section.Kind, out var keys))
                {
                    var hint = Names.Closest(section.Kind, KeysByKind.Keys);
                    Report(Descriptors.UnknownAnnotationValue, section.Spot, "section kind '" + section.Kind + "'", hint is null ? string.Empty : "; did you mean '" + hint + "'?");
                    continue;
                }

                if (!_usedSections.Contains(section))
                {
                    var hint = Names.Closest(section.Target, CandidatesFor(section.Kind));
                    Report(Descriptors.AnnotationTargetMissing, section.Spot, "[" + section.Kind + " " + section.Target + "]", hint is null ? string.Empty : "; did you mean '" + hint + "'?");
                    continue;
                }

                if (section.Kind == "datatypes")
                {
                    continue;
                }

                foreach (var entry in section.Entries.Where(e => !keys.Contains(e.Key)))
                {
                    var hint = Names.Closest(entry.Key, keys);
                    Report(Descriptors.UnknownAnnotationValue, entry.Spot, "key '" + entry.Key + "' in [" + section.Kind + "]", hint is null ? string.Empty : "; did you mean '" + hint + "'?");
                }
            }
        }

        private IEnumerable<string> CandidatesFor(string kind)
        {
            switch (kind)
            {
                case "class":
                    return _classes.Select(c => c.Name);
                case "method":
                    return _classes.SelectMany(c => c.Methods).Select(m => m.Name);
                case "param":
                    return _classes.SelectMany(c => c.Methods).SelectMany(m => m.Params.Select(p => m.Name + "." + p.Name));
                case "option":
                case "status":
                    return _constants.Select(c => c.Name);
                case "struct":
                    return _structs.Select(s => s.Name);
                case "field":
                    return _structs.SelectMany(s => s.Fields.Select(f => s.Name + "." + f.Name));
                case "enum":
                case "datatypes":
                    return _enums.Select(e => e.Name).Concat(_usings.Where(u => u.Alias is not null).Select(u => u.Alias!));
                case "member":
                    return _enums.SelectMany(e => e.Members.Select(m => e.Name + "." + m.Name));
                default:
                    return Enumerable.Empty<string>();
            }
        }

        // ---- docs --------------------------------------------------------------------------------------------

        /// <summary>The text of <c>@brief</c> (or the whole comment when there is no tag).</summary>
        private static string Brief(string? doc)
        {
            if (string.IsNullOrWhiteSpace(doc))
            {
                return string.Empty;
            }

            var lines = doc!.Split('\n').Select(l => l.Trim()).ToList();
            var brief = lines.FirstOrDefault(l => l.StartsWith("@brief", System.StringComparison.Ordinal));
            if (brief is not null)
            {
                return brief.Substring("@brief".Length).Trim();
            }

            return string.Join(" ", lines.Where(l => !l.StartsWith("@", System.StringComparison.Ordinal)));
        }

        private static string DocParam(string? doc, string name)
        {
            if (doc is null)
            {
                return string.Empty;
            }

            foreach (var raw in doc.Split('\n'))
            {
                var line = raw.Trim();
                if (!line.StartsWith("@param", System.StringComparison.Ordinal))
                {
                    continue;
                }

                var rest = line.Substring("@param".Length).Trim();
                if (rest.StartsWith("[", System.StringComparison.Ordinal))
                {
                    var close = rest.IndexOf(']');
                    rest = close < 0 ? rest : rest.Substring(close + 1).Trim();
                }

                var space = rest.IndexOf(' ');
                var paramName = space < 0 ? rest : rest.Substring(0, space);
                if (paramName == name)
                {
                    return space < 0 ? string.Empty : rest.Substring(space + 1).Trim();
                }
            }

            return string.Empty;
        }

        private static string DocReturn(string? doc)
        {
            var line = doc?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("@return", System.StringComparison.Ordinal));
            return line is null ? string.Empty : line.Substring("@return".Length).Trim();
        }

        private static string Or(string? preferred, string fallback) => string.IsNullOrWhiteSpace(preferred) ? fallback : preferred!;

        // ---- numbers -----------------------------------------------------------------------------------------

        /// <summary>Reads a C++ integer literal (decimal or hex, optional sign and U/L suffixes).</summary>
        internal static bool TryParseInteger(string text, out long value)
        {
            value = 0;
            var t = text.Replace(" ", string.Empty).Replace("'", string.Empty);
            var negative = false;
            if (t.StartsWith("(", System.StringComparison.Ordinal) && t.EndsWith(")", System.StringComparison.Ordinal))
            {
                t = t.Substring(1, t.Length - 2);
            }

            if (t.StartsWith("-", System.StringComparison.Ordinal))
            {
                negative = true;
                t = t.Substring(1);
            }
            else if (t.StartsWith("+", System.StringComparison.Ordinal))
            {
                t = t.Substring(1);
            }

            t = t.TrimEnd('u', 'U', 'l', 'L');
            if (t.Length == 0)
            {
                return false;
            }

            ulong magnitude;
            if (t.StartsWith("0x", System.StringComparison.OrdinalIgnoreCase))
            {
                if (!ulong.TryParse(t.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude))
                {
                    return false;
                }
            }
            else if (!ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude))
            {
                return false;
            }

            // Status codes like 0xFFFFFFFF fit in a long; only absurd literals overflow.
            if (magnitude > long.MaxValue)
            {
                return false;
            }

            value = negative ? -(long)magnitude : (long)magnitude;
            return true;
        }

        private bool TryResolveConstant(string name, out long value, int depth = 0)
        {
            value = 0;
            if (depth > 8)
            {
                return false;
            }

            var simple = name.Substring(name.LastIndexOf(':') + 1);
            var constant = _constants.FirstOrDefault(c => c.Name == simple && !c.IsString);
            if (constant is null)
            {
                return false;
            }

            return TryParseInteger(constant.Value, out value) || TryResolveConstant(constant.Value, out value, depth + 1);
        }
    }
}
