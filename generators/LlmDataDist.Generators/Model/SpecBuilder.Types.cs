using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Parsing;

namespace LlmDataDist.Generators.Model
{
    internal sealed partial class SpecBuilder
    {
        private static readonly Dictionary<string, TypeKind> Builtins = new(System.StringComparer.Ordinal)
        {
            ["void"] = TypeKind.Void,
            ["bool"] = TypeKind.Bool,
            ["int8_t"] = TypeKind.SByte,
            ["signed char"] = TypeKind.SByte,
            ["uint8_t"] = TypeKind.Byte,
            ["unsigned char"] = TypeKind.Byte,
            ["int16_t"] = TypeKind.Short,
            ["short"] = TypeKind.Short,
            ["uint16_t"] = TypeKind.UShort,
            ["unsigned short"] = TypeKind.UShort,
            ["int32_t"] = TypeKind.Int,
            ["int"] = TypeKind.Int,
            ["uint32_t"] = TypeKind.UInt,
            ["unsigned"] = TypeKind.UInt,
            ["unsigned int"] = TypeKind.UInt,
            ["int64_t"] = TypeKind.Long,
            ["long long"] = TypeKind.Long,
            ["uint64_t"] = TypeKind.ULong,
            ["unsigned long long"] = TypeKind.ULong,
            // Ascend hosts are 64-bit; addresses travel as 64-bit integers.
            ["uintptr_t"] = TypeKind.ULong,
            ["size_t"] = TypeKind.ULong,
            ["AscendString"] = TypeKind.String,
            ["string"] = TypeKind.String,
        };

        /// <summary>Maps a C++ type, or returns null (the caller reports LLMDD0002 with context).</summary>
        private TypeRef? Map(RawType raw, int depth = 0)
        {
            if (depth > 8)
            {
                return null; // an alias cycle
            }

            var simple = raw.Simple;
            if (raw.IsPointer)
            {
                return simple == "char" && raw.IsConst ? TypeRef.Of(TypeKind.String) : null;
            }

            // Status is an alias of an integer in the header, but a type of its own for the SDK.
            if (simple == "Status")
            {
                return TypeRef.Of(TypeKind.Status);
            }

            if (Builtins.TryGetValue(raw.Name.StartsWith("std::", System.StringComparison.Ordinal) ? simple : raw.Name, out var builtin)
                || Builtins.TryGetValue(simple, out builtin))
            {
                return TypeRef.Of(builtin);
            }

            switch (simple)
            {
                case "vector" when raw.Args.Count == 1:
                    return Map(raw.Args[0], depth + 1) is { } element ? TypeRef.Generic(TypeKind.List, element) : null;
                case "map" when raw.Args.Count == 2:
                case "unordered_map" when raw.Args.Count == 2:
                    return Map(raw.Args[0], depth + 1) is { } key && Map(raw.Args[1], depth + 1) is { } value
                        ? TypeRef.Generic(TypeKind.Map, key, value)
                        : null;
                case "pair" when raw.Args.Count == 2:
                    return Map(raw.Args[0], depth + 1) is { } first && Map(raw.Args[1], depth + 1) is { } second
                        ? TypeRef.Generic(TypeKind.Pair, first, second)
                        : null;
            }

            if (_enumNames.TryGetValue(simple, out var enumName))
            {
                return TypeRef.Named(TypeKind.Enum, enumName);
            }

            if (_structNames.Contains(simple))
            {
                return TypeRef.Named(TypeKind.Struct, simple);
            }

            var alias = _usings.FirstOrDefault(u => u.Alias == simple);
            if (alias is not null)
            {
                var target = new RawType(alias.Target, raw.Args, raw.IsConst, raw.IsReference, raw.IsPointer);
                if (target.Simple != simple || alias.Target.Contains("::"))
                {
                    return Map(target, depth + 1);
                }
            }

            return null;
        }

        /// <summary>
        /// Turns a C++ default (a literal, an enum member, a named constant, <c>{}</c> or <c>{a, b}</c>) into a C#
        /// expression for the given type, or null when the default is "empty" for a reference type.
        /// </summary>
        private string? Default(TypeRef type, string text, string what, SourceSpot spot)
        {
            var t = text.Trim();
            if (t.StartsWith("{", System.StringComparison.Ordinal) && t.EndsWith("}", System.StringComparison.Ordinal))
            {
                var inner = t.Substring(1, t.Length - 2).Trim();
                if (inner.Length == 0)
                {
                    return type.Kind switch
                    {
                        TypeKind.Struct or TypeKind.List or TypeKind.Map or TypeKind.String => null,
                        TypeKind.Custom => "default",
                        _ => "default",
                    };
                }

                if (type.Kind is TypeKind.Pair or TypeKind.Custom)
                {
                    var parts = inner.Split(',');
                    if (parts.Length == 2)
                    {
                        var first = Default(type.Kind == TypeKind.Pair ? type.Args[0] : TypeRef.Of(TypeKind.Int), parts[0], what, spot);
                        var second = Default(type.Kind == TypeKind.Pair ? type.Args[1] : TypeRef.Of(TypeKind.Int), parts[1], what, spot);
                        if (first is not null && second is not null)
                        {
                            return "new(" + first + ", " + second + ")";
                        }
                    }
                }

                if (type.IsValueType && inner.Split(',').Length == 1)
                {
                    return Default(type, inner, what, spot);
                }

                Report(Descriptors.BadDefault, spot, text, what);
                return null;
            }

            if (type.Kind == TypeKind.Custom && type.Args.Count == 1 && type.Args[0].Kind is not (TypeKind.Pair or TypeKind.Custom) && type.Args[0].IsValueType)
            {
                // A custom type over a C++ integer (an enum the header types as int32_t): the header's literal, cast.
                var raw = Default(type.Args[0], t, what, spot);
                return raw is null ? null : "(global::" + _namespace + "." + type.Name + ")" + raw;
            }

            switch (type.Kind)
            {
                case TypeKind.Bool:
                    if (t == "true" || t == "false")
                    {
                        return t;
                    }

                    break;
                case TypeKind.String:
                    if (t.StartsWith("\"", System.StringComparison.Ordinal))
                    {
                        return t;
                    }

                    break;
                case TypeKind.Enum:
                    var member = t.Substring(t.LastIndexOf(':') + 1);
                    var owner = _builtEnums.FirstOrDefault(e => e.ManagedName == type.Name);
                    var found = owner?.Members.FirstOrDefault(m => m.NativeName == member);
                    if (owner is not null && found is not null)
                    {
                        return "global::" + _namespace + "." + owner.ManagedName + "." + found.ManagedName;
                    }

                    break;
                case TypeKind.SByte:
                case TypeKind.Byte:
                case TypeKind.Short:
                case TypeKind.UShort:
                case TypeKind.Int:
                case TypeKind.UInt:
                case TypeKind.Long:
                case TypeKind.ULong:
                case TypeKind.Status:
                    if (TryParseInteger(t, out var number) || TryResolveConstant(t, out number))
                    {
                        return Literal(type.Kind, number);
                    }

                    break;
            }

            Report(Descriptors.BadDefault, spot, text, what);
            return null;
        }

        private static string Literal(TypeKind kind, long value)
        {
            var digits = value.ToString(CultureInfo.InvariantCulture);
            return kind switch
            {
                TypeKind.UInt => ((uint)value).ToString(CultureInfo.InvariantCulture) + "U",
                TypeKind.ULong => ((ulong)value).ToString(CultureInfo.InvariantCulture) + "UL",
                TypeKind.Long => digits + "L",
                _ => digits,
            };
        }
    }
}
