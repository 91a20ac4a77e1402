using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Parsing;

namespace LlmDataDist.Generators.Model
{
    internal sealed partial class SpecBuilder
    {
        private List<EnumSpec> _builtEnums = new();

        // ---- enums -------------------------------------------------------------------------------------------

        /// <summary>
        /// Enums of the class's namespace, plus enums it imports by alias (<c>using DataType = ge::DataType;</c>).
        /// An imported enum that no header defines (the real CANN header only has <c>using ge::DT_*;</c>) is built
        /// from those using-declarations and the values in the annotations' [datatypes] table.
        /// </summary>
        private List<EnumSpec> BuildEnums()
        {
            var result = new List<EnumSpec>();
            foreach (var raw in _enums.Where(e => e.Namespace == _classNamespace))
            {
                if (result.Any(e => e.NativeName == raw.Name))
                {
                    Report(Descriptors.UnknownConstruct, raw.Spot, "second declaration of '" + raw.Name + "'");
                    continue;
                }

                result.Add(BuildEnum(raw.Name, raw));
            }

            foreach (var alias in _usings.Where(u => u.Namespace == _classNamespace && u.Alias is not null))
            {
                if (result.Any(e => e.NativeName == alias.Alias) || _enums.Any(e => e.Namespace == _classNamespace && e.Name == alias.Alias))
                {
                    continue;
                }

                var targetSimple = alias.Target.Substring(alias.Target.LastIndexOf(':') + 1);
                var targetNs = alias.Target.Contains("::") ? alias.Target.Substring(0, alias.Target.LastIndexOf("::", System.StringComparison.Ordinal)) : string.Empty;
                var defined = _enums.FirstOrDefault(e => e.Name == targetSimple && (targetNs.Length == 0 || e.Namespace == targetNs));
                var table = Section("datatypes", alias.Alias!);
                if (defined is not null)
                {
                    result.Add(BuildEnum(alias.Alias!, defined));
                }
                else if (table is not null)
                {
                    result.Add(BuildEnum(alias.Alias!, null));
                }
            }

            _builtEnums = result;
            return result;
        }

        private EnumSpec BuildEnum(string name, RawEnum? raw)
        {
            var table = Section("datatypes", name) ?? (raw is null ? null : Section("datatypes", raw.Name));
            var sizes = ParseSizeTable(table);
            // Members imported into the class's namespace by using-declarations select which members the SDK shows:
            // a sentinel like DT_MAX, which varies between toolkits, stays out.
            var imported = new HashSet<string>(_usings.Where(u => u.Namespace == _classNamespace && u.Alias is null)
                .Select(u => u.Target.Substring(u.Target.LastIndexOf(':') + 1)));
            var rawMembers = new List<(string Name, long Value, string? Doc, SourceSpot Spot)>();
            if (raw is not null)
            {
                long next = 0;
                foreach (var member in raw.Members)
                {
                    var value = next;
                    if (member.ValueText is not null && !TryParseInteger(member.ValueText, out value) && !TryMemberValue(rawMembers, member.ValueText, out value))
                    {
                        Report(Descriptors.BadDefault, member.Spot, member.ValueText, "enum member " + member.Name);
                        value = next;
                    }

                    rawMembers.Add((member.Name, value, member.Doc, member.Spot));
                    next = value + 1;
                }
            }
            else
            {
                foreach (var pair in sizes.Where(s => imported.Contains(s.Key)).OrderBy(s => s.Value.Value))
                {
                    rawMembers.Add((pair.Key, pair.Value.Value, null, pair.Value.Spot));
                }
            }

            var sharedPrefix = Names.SharedPrefix(rawMembers.Select(m => m.Name).ToList());
            var members = new List<EnumMemberSpec>();
            var useImports = table is not null && rawMembers.Any(m => imported.Contains(m.Name));
            foreach (var (memberName, value, doc, spot) in rawMembers)
            {
                if (useImports && !imported.Contains(memberName))
                {
                    continue;
                }

                var memberSection = Section("member", name + "." + memberName);
                var bits = 0;
                var device = false;
                if (table is not null)
                {
                    if (sizes.TryGetValue(memberName, out var size))
                    {
                        if (size.Value != value)
                        {
                            Report(Descriptors.UnknownAnnotationValue, size.Spot, "value " + size.Value.ToString(CultureInfo.InvariantCulture) + " for " + memberName,
                                "; the header says " + value.ToString(CultureInfo.InvariantCulture));
                        }

                        bits = size.Bits;
                        device = size.Device;
                    }
                    else
                    {
                        Report(Descriptors.DataTypeWithoutValue, spot, memberName, "element size");
                    }
                }

                var managed = Or(Value(memberSection, "name"), Names.EnumMember(memberName, sharedPrefix));
                members.Add(new EnumMemberSpec(memberName, managed, value, Or(Value(memberSection, "summary"), Or(Brief(doc), memberName + ".")), bits, device));
            }

            // Imported names that no header defines and the table does not list are reported, not guessed.
            if (table is not null)
            {
                foreach (var missing in imported.Where(i => i.StartsWith(sharedPrefix, System.StringComparison.Ordinal) && sharedPrefix.Length > 0
                    && !rawMembers.Any(m => m.Name == i)))
                {
                    var spot = _usings.First(u => u.Alias is null && u.Target.EndsWith(missing, System.StringComparison.Ordinal)).Spot;
                    Report(Descriptors.DataTypeWithoutValue, spot, missing, "value");
                }
            }

            var section = Section("enum", name);
            var underlying = raw?.Underlying is { } u && Builtins.TryGetValue(u, out var kind) ? Keyword(kind) : "int";
            return new EnumSpec(name, name, underlying, Or(Value(section, "summary"), Or(Brief(raw?.Doc), name + ".")), table is not null,
                members.ToEquatableArray(), raw is not null && (raw.IsScoped || raw.Underlying is not null));
        }

        private static bool TryMemberValue(List<(string Name, long Value, string? Doc, SourceSpot Spot)> earlier, string text, out long value)
        {
            var name = text.Trim();
            name = name.Substring(name.LastIndexOf(':') + 1);
            foreach (var member in earlier)
            {
                if (member.Name == name)
                {
                    value = member.Value;
                    return true;
                }
            }

            value = 0;
            return false;
        }

        private sealed record SizeRow(long Value, int Bits, bool Device, SourceSpot Spot);

        /// <summary>Rows <c>NAME = value bits [host]</c>: the enum value, the element size in bits (<c>-</c> for none), and whether only host sizing accepts it.</summary>
        private Dictionary<string, SizeRow> ParseSizeTable(AnnotationSection? table)
        {
            var rows = new Dictionary<string, SizeRow>(System.StringComparer.Ordinal);
            if (table is null)
            {
                return rows;
            }

            foreach (var entry in table.Entries)
            {
                var parts = entry.Value.Split(new[] { ' ', '\t' }, System.StringSplitOptions.RemoveEmptyEntries);
                var ok = parts.Length is 2 or 3;
                long value = 0;
                var bits = 0;
                ok = ok && TryParseInteger(parts[0], out value);
                ok = ok && (parts[1] == "-" || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out bits));
                ok = ok && (parts.Length == 2 || parts[2] == "host");
                if (!ok)
                {
                    Report(Descriptors.AnnotationSyntax, entry.Spot, "expected 'NAME = value bits [host]' but found '" + entry.Key + " = " + entry.Value + "'");
                    continue;
                }

                rows[entry.Key] = new SizeRow(value, bits, parts.Length == 2 && bits > 0, entry.Spot);
            }

            return rows;
        }

        private static string Keyword(TypeKind kind) => kind switch
        {
            TypeKind.SByte => "sbyte",
            TypeKind.Byte => "byte",
            TypeKind.Short => "short",
            TypeKind.UShort => "ushort",
            TypeKind.UInt => "uint",
            TypeKind.Long => "long",
            TypeKind.ULong => "ulong",
            _ => "int",
        };

        // ---- statuses and options ----------------------------------------------------------------------------

        private List<StatusSpec> BuildStatuses()
        {
            var raws = _constants.Where(c => c.Namespace == _classNamespace && !c.IsString && c.Type.Simple == "Status").ToList();
            var prefix = Names.SharedPrefix(raws.Select(r => r.Name).ToList());
            var result = new List<StatusSpec>();
            foreach (var raw in raws)
            {
                if (!TryParseInteger(raw.Value, out var value) || value < 0 || value > uint.MaxValue)
                {
                    Report(Descriptors.BadDefault, raw.Spot, raw.Value, "status " + raw.Name);
                    continue;
                }

                var section = Section("status", raw.Name);
                var recoverableText = Value(section, "recoverable");
                if (recoverableText is not null && recoverableText != "true" && recoverableText != "false")
                {
                    Report(Descriptors.UnknownAnnotationValue, KeySpot(section!, "recoverable"), "recoverable = " + recoverableText, "; use true or false");
                }

                var managed = Names.Pascal(raw.Name.StartsWith(prefix, System.StringComparison.Ordinal) ? raw.Name.Substring(prefix.Length) : raw.Name);
                result.Add(new StatusSpec(raw.Name, managed, (uint)value, Or(Value(section, "summary"), raw.Name + "."),
                    recoverableText == "true", Value(section, "advice") ?? string.Empty));
            }

            return result;
        }

        private static readonly Dictionary<string, OptionType> OptionTypes = new(System.StringComparer.Ordinal)
        {
            ["string"] = OptionType.String,
            ["int"] = OptionType.Int,
            ["uint"] = OptionType.UInt,
            ["bool"] = OptionType.Bool,
            ["milliseconds"] = OptionType.Milliseconds,
            ["endpoint"] = OptionType.Endpoint,
            ["json"] = OptionType.Json,
        };

        private List<OptionSpec> BuildOptions()
        {
            var result = new List<OptionSpec>();
            foreach (var raw in _constants.Where(c => c.Namespace == _classNamespace && c.IsString && c.Name.StartsWith("OPTION_", System.StringComparison.Ordinal)))
            {
                var section = Section("option", raw.Name);
                var typeText = Value(section, "type") ?? "string";
                if (!OptionTypes.TryGetValue(typeText, out var type))
                {
                    var hint = Names.Closest(typeText, OptionTypes.Keys);
                    Report(Descriptors.UnknownAnnotationValue, KeySpot(section!, "type"), "option type '" + typeText + "'", hint is null ? string.Empty : "; did you mean '" + hint + "'?");
                    type = OptionType.String;
                }

                // "llm.SyncKvCacheWaitTime" names itself better than OPTION_SYNC_CACHE_WAIT_TIME.
                var dot = raw.Value.LastIndexOf('.');
                var managed = dot >= 0 && dot < raw.Value.Length - 1 && char.IsLetter(raw.Value[dot + 1])
                    ? char.ToUpperInvariant(raw.Value[dot + 1]) + raw.Value.Substring(dot + 2)
                    : Names.Pascal(raw.Name.Substring("OPTION_".Length));
                result.Add(new OptionSpec(raw.Name, raw.Value, managed, type, Or(Value(section, "summary"), "The option '" + raw.Value + "'.")));
            }

            return result;
        }

        // ---- structs -----------------------------------------------------------------------------------------

        private StructSpec BuildStruct(RawStruct raw)
        {
            var fields = new List<FieldSpec>();
            foreach (var field in raw.Fields)
            {
                if (field.ArrayLength is not null)
                {
                    // Reserved padding exists for ABI stability only; any other fixed array has no mapping yet.
                    if (!field.Name.StartsWith("reserved", System.StringComparison.Ordinal))
                    {
                        Report(Descriptors.UnmappableType, field.Spot, field.Type + "[]", "field " + raw.Name + "." + field.Name);
                    }

                    continue;
                }

                var section = Section("field", raw.Name + "." + field.Name);
                var customType = Value(section, "type");
                var mapped = Map(field.Type);
                if (mapped is null)
                {
                    Report(Descriptors.UnmappableType, field.Spot, field.Type.ToString(), "field " + raw.Name + "." + field.Name);
                    continue;
                }

                if (customType is not null)
                {
                    mapped = new TypeRef(TypeKind.Custom, customType, new EquatableArray<TypeRef>(new[] { mapped }));
                }

                var defaultExpression = field.Initializer is null ? null : Default(mapped, field.Initializer, "field " + raw.Name + "." + field.Name, field.Spot);
                fields.Add(new FieldSpec(field.Name, Names.Pascal(field.Name), mapped, defaultExpression,
                    Or(Value(section, "summary"), Or(Brief(field.Doc), Names.Pascal(field.Name) + " (" + field.Name + ")."))));
            }

            var structSection = Section("struct", raw.Name);
            return new StructSpec(raw.Name, raw.Name, Or(Value(structSection, "summary"), Or(Brief(raw.Doc), raw.Name + ".")), fields.ToEquatableArray());
        }

        // ---- the class ---------------------------------------------------------------------------------------

        private static readonly Dictionary<string, ParamUsage> Usages = new(System.StringComparer.Ordinal)
        {
            ["milliseconds"] = ParamUsage.Milliseconds,
            ["per-cluster"] = ParamUsage.PerClusterResults,
            ["options"] = ParamUsage.Options,
        };

        private ClassSpec BuildClass(RawClass raw)
        {
            var classSection = Section("class", raw.Name);
            var constructor = raw.Methods.FirstOrDefault(m => m.Kind == MethodKind.Constructor);
            var destructor = raw.Methods.FirstOrDefault(m => m.Kind == MethodKind.Destructor);
            var ctorParams = constructor is null ? new List<ParamSpec>() : BuildParams(raw.Name, constructor);
            var methods = new List<MethodSpec>();
            foreach (var method in raw.Methods.Where(m => m.Kind == MethodKind.Method))
            {
                var section = Section("method", method.Name);
                var returns = method.Returns is null ? null : Map(method.Returns);
                if (returns is null || (returns.Kind != TypeKind.Status && returns.Kind != TypeKind.Void))
                {
                    Report(Descriptors.UnmappableType, method.Spot, method.Returns?.ToString() ?? "?", "the return of " + method.Name + " (only Status and void are supported)");
                    continue;
                }

                var parameters = BuildParams(method.Name, method);
                methods.Add(new MethodSpec(method.Name, Or(Value(section, "name"), method.Name), Or(Value(section, "summary"), Or(Brief(method.Doc), method.Name + ".")),
                    Or(Value(section, "returns"), DocReturn(method.Doc)), returns.Kind == TypeKind.Status, Value(section, "disposes") == "true",
                    parameters.ToEquatableArray()));
            }

            var name = Or(Value(classSection, "name"), raw.Name);
            return new ClassSpec(raw.Name, name, Or(Value(classSection, "summary"), Or(Brief(raw.Doc), raw.Name + ".")),
                Or(Brief(constructor?.Doc), "Creates an instance."), ctorParams.ToEquatableArray(),
                Or(Value(classSection, "dispose"), Or(Brief(destructor?.Doc), "Releases the instance.")), methods.ToEquatableArray(), raw.Namespace);
        }

        private List<ParamSpec> BuildParams(string methodName, RawMethod method)
        {
            var result = new List<ParamSpec>();
            foreach (var p in method.Params)
            {
                var section = Section("param", methodName + "." + p.Name);
                var type = Map(p.Type);
                if (type is null)
                {
                    Report(Descriptors.UnmappableType, p.Spot, p.Type.ToString(), "parameter " + p.Name + " of " + methodName);
                    continue;
                }

                var usage = ParamUsage.Plain;
                var usageText = Value(section, "usage");
                if (usageText is not null && !Usages.TryGetValue(usageText, out usage))
                {
                    var hint = Names.Closest(usageText, Usages.Keys);
                    Report(Descriptors.UnknownAnnotationValue, KeySpot(section!, "usage"), "usage '" + usageText + "'", hint is null ? string.Empty : "; did you mean '" + hint + "'?");
                }

                // A string map is an option map whether or not the annotations say so.
                if (usage == ParamUsage.Plain && type.Kind == TypeKind.Map && type.Args[0].Kind == TypeKind.String && type.Args[1].Kind == TypeKind.String)
                {
                    usage = ParamUsage.Options;
                }

                var isOut = p.Type.IsReference && !p.Type.IsConst;
                var defaultExpression = p.Default is null ? null : Default(type, p.Default, "parameter " + p.Name + " of " + methodName, p.Spot);
                var hasDefault = p.Default is not null;
                result.Add(new ParamSpec(p.Name, Names.Camel(p.Name), type, isOut, hasDefault ? (defaultExpression ?? "null") : null, usage,
                    Or(Value(section, "summary"), Or(DocParam(method.Doc, p.Name), "The " + p.Name + "."))));
            }

            // Per-cluster results pair with an input list of structs (the clusters); without one (e.g. its type did
            // not map) there is nothing to pair them with, so the out list stays a plain list.
            if (!result.Any(p => !p.IsOut && p.Type.Kind == TypeKind.List && p.Type.Args[0].Kind == TypeKind.Struct))
            {
                for (var i = 0; i < result.Count; i++)
                {
                    if (result[i].Usage == ParamUsage.PerClusterResults)
                    {
                        var section = Section("param", methodName + "." + result[i].NativeName);
                        Report(Descriptors.UnknownAnnotationValue, section is null ? method.Spot : KeySpot(section, "usage"),
                            "usage 'per-cluster' of " + methodName + "." + result[i].NativeName, "; the method has no input list of structs to pair the results with");
                        result[i] = result[i] with { Usage = ParamUsage.Plain };
                    }
                }
            }

            return result;
        }
    }
}
