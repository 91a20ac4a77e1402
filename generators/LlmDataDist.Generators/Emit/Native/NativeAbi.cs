using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit.Native
{
    /// <summary>A type as C spells it and as the C# interop spells it (<c>const uint64_t*</c> / <c>ulong*</c>).</summary>
    internal sealed record CType(string C, string CSharp, int Size, int Align)
    {
        public CType PointerTo(bool isConst) => new((isConst ? "const " : string.Empty) + C + "*", CSharp + "*", 8, 8);
    }

    internal sealed record CField(string Name, CType Type, int Offset)
    {
        public string ManagedName => Names.Pascal(Name);
    }

    /// <summary>A C struct of the ABI: a spec struct (<see cref="Source"/>) or a building block (<c>llmdd_str</c>, spans, options).</summary>
    internal sealed record CStruct(string Name, string ManagedName, string Summary, IReadOnlyList<CField> Fields, int Size, int Align, StructSpec? Source);

    internal sealed record CParam(string Name, CType Type)
    {
        public string ManagedName => Names.Camel(Name);
    }

    /// <summary>How one spec parameter crosses the ABI.</summary>
    internal enum Lowering
    {
        /// <summary>An integer, enum or bool by value.</summary>
        Scalar,
        /// <summary><c>llmdd_str</c> by value.</summary>
        String,
        /// <summary><c>const llmdd_x*</c>, null rejected.</summary>
        StructIn,
        /// <summary><c>const T* x, uint64_t x_len</c>.</summary>
        List,
        /// <summary><c>const llmdd_option* x, uint64_t x_len</c>.</summary>
        Options,
        /// <summary><c>A x_first, B x_second</c>.</summary>
        Pair,
        /// <summary><c>T* out_x</c>: read, given to the engine, written back.</summary>
        OutScalar,
        /// <summary><c>T* x, uint64_t x_capacity, uint64_t* x_len</c>.</summary>
        OutList,
        /// <summary>The struct's integer fields as <c>T* out_f</c> and its integer lists as out lists; other fields are not returned.</summary>
        OutStruct,
    }

    /// <summary>One spec parameter and the C parameters it became.</summary>
    internal sealed record LoweredParam(ParamSpec Source, Lowering Kind, IReadOnlyList<CParam> CParams, IReadOnlyList<LoweredField> OutFields);

    /// <summary>A field of an out struct that is returned, and its C parameters.</summary>
    internal sealed record LoweredField(FieldSpec Source, bool IsList, IReadOnlyList<CParam> CParams);

    internal enum FunctionKind
    {
        AbiVersion,
        SpecHash,
        Create,
        Destroy,
        Method,
    }

    /// <summary>A C function of the ABI; every one returns a status except <c>llmdd_destroy</c> and the two version queries.</summary>
    internal sealed record CFunction(string Name, string ManagedName, string Summary, FunctionKind Kind, CType Returns,
        IReadOnlyList<LoweredParam> Params, MethodSpec? Method)
    {
        public IEnumerable<CParam> CParams => Params.SelectMany(p => p.CParams);
    }

    /// <summary>
    /// The C ABI of a spec: the mapping rules of docs/native-abi.md, applied to the model in one place so the C
    /// header, the C++ shim and the C# interop cannot disagree. A spec construct without a rule throws
    /// <see cref="NotSupportedException"/> naming it.
    /// </summary>
    internal sealed class NativeAbi
    {
        /// <summary>Bumped when the mapping rules change (not when the spec does: that is the spec hash).</summary>
        public const uint Version = 1;
        public const string Prefix = "llmdd_";
        public const int MaxStringLength = 4096;
        public const int MaxVectorLengthShift = 24;

        public static readonly CType Status = new("uint32_t", "uint", 4, 4);
        public static readonly CType Length = new("uint64_t", "ulong", 8, 8);
        public static readonly CType Void = new("void", "void", 0, 1);
        public static readonly CType Instance = new("llmdd_instance*", "NativeInstanceHandle", 8, 8);

        /// <summary>The first parameter of every method.</summary>
        public static readonly CParam InstanceParam = new("instance", Instance);

        /// <summary>The last parameter of <c>llmdd_create</c>.</summary>
        public static readonly CParam OutInstanceParam = new("out_instance", new CType("llmdd_instance**", "out NativeInstanceHandle", 8, 8));

        private readonly ApiSpec _spec;
        private readonly Dictionary<string, CStruct> _structs = new(StringComparer.Ordinal);
        private readonly List<CStruct> _order = new();
        private readonly HashSet<string> _usedEnums = new(StringComparer.Ordinal);
        private readonly List<string> _spans = new();

        private NativeAbi(ApiSpec spec)
        {
            _spec = spec;
            ClassNamespace = spec.Class.NativeNamespace;
        }

        public ApiSpec Spec => _spec;

        /// <summary>The C++ namespace that qualifies the class, its structs and its enums.</summary>
        public string ClassNamespace { get; }

        /// <summary>Every C struct, each after the structs it contains by value.</summary>
        public IReadOnlyList<CStruct> Structs => _order;

        public IReadOnlyList<CFunction> Functions { get; private set; } = Array.Empty<CFunction>();

        /// <summary>Enums that cross the ABI, so the shim converts exactly these.</summary>
        public IReadOnlyList<EnumSpec> UsedEnums => _spec.Enums.Where(e => _usedEnums.Contains(e.ManagedName)).ToList();

        /// <summary>Element C types of the <c>llmdd_*_span</c> structs in use (<c>uint64_t</c> for <c>llmdd_u64_span</c>).</summary>
        public IReadOnlyList<string> SpanElements => _spans;

        public static NativeAbi Of(ApiSpec spec)
        {
            var abi = new NativeAbi(spec);
            abi.Build();
            return abi;
        }

        // ---- names -------------------------------------------------------------------------------------------

        /// <summary><c>PullKvCache</c> → <c>pull_kv_cache</c>; <c>IpInfo</c> → <c>ip_info</c>; snake_case stays.</summary>
        public static string Snake(string name)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < name.Length; i++)
            {
                var c = name[i];
                if (char.IsUpper(c))
                {
                    var afterLower = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                    var endsRun = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                    if ((afterLower || endsRun) && sb.Length > 0 && sb[sb.Length - 1] != '_')
                    {
                        sb.Append('_');
                    }

                    sb.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    sb.Append(c);
                }
            }

            return sb.ToString();
        }

        public static string StructName(string nativeName) => Prefix + Snake(nativeName);

        /// <summary><c>llmdd_cache_desc</c> → <c>NativeCacheDesc</c>.</summary>
        public static string ManagedStructName(string cName) => "Native" + Names.Pascal(cName.Substring(Prefix.Length));

        public static string LengthName(string name) => name + "_len";

        public static string CapacityName(string name) => name + "_capacity";

        public static string OutName(string name) => "out_" + name;

        public string Qualified(string nativeName) => ClassNamespace.Length == 0 ? "::" + nativeName : ClassNamespace + "::" + nativeName;

        // ---- types -------------------------------------------------------------------------------------------

        private static CType Integer(string c, string cs, int size) => new(c, cs, size, size);

        private static CType? IntegerOf(TypeKind kind) => kind switch
        {
            TypeKind.Bool => Integer("uint8_t", "byte", 1),
            TypeKind.SByte => Integer("int8_t", "sbyte", 1),
            TypeKind.Byte => Integer("uint8_t", "byte", 1),
            TypeKind.Short => Integer("int16_t", "short", 2),
            TypeKind.UShort => Integer("uint16_t", "ushort", 2),
            TypeKind.Int => Integer("int32_t", "int", 4),
            TypeKind.UInt => Integer("uint32_t", "uint", 4),
            TypeKind.Long => Integer("int64_t", "long", 8),
            TypeKind.ULong => Integer("uint64_t", "ulong", 8),
            TypeKind.Status => Integer("uint32_t", "uint", 4),
            _ => null,
        };

        public EnumSpec EnumOf(TypeRef type) =>
            _spec.Enums.FirstOrDefault(e => e.ManagedName == type.Name) ?? throw new NotSupportedException("unknown enum " + type.Name);

        public StructSpec StructOf(TypeRef type) =>
            _spec.Structs.FirstOrDefault(s => s.ManagedName == type.Name) ?? throw new NotSupportedException("unknown struct " + type.Name);

        /// <summary>A custom type is its C++ type for the ABI.</summary>
        public static TypeRef Native(TypeRef type) => type.Kind == TypeKind.Custom && type.Args.Count == 1 ? Native(type.Args[0]) : type;

        /// <summary>The C integer of an integer, bool, status or enum type; null for anything else.</summary>
        public CType? Scalar(TypeRef type)
        {
            type = Native(type);
            if (type.Kind == TypeKind.Enum)
            {
                var e = EnumOf(type);
                _usedEnums.Add(e.ManagedName);
                return IntegerOf(KindOfKeyword(e.Underlying));
            }

            return IntegerOf(type.Kind);
        }

        private static TypeKind KindOfKeyword(string keyword) => keyword switch
        {
            "sbyte" => TypeKind.SByte,
            "byte" => TypeKind.Byte,
            "short" => TypeKind.Short,
            "ushort" => TypeKind.UShort,
            "uint" => TypeKind.UInt,
            "long" => TypeKind.Long,
            "ulong" => TypeKind.ULong,
            _ => TypeKind.Int,
        };

        /// <summary>The C type of one element of a list: an integer, <c>llmdd_str</c>, a spec struct, or a span of integers.</summary>
        private CType Element(TypeRef type, string where)
        {
            type = Native(type);
            if (Scalar(type) is { } scalar)
            {
                return scalar;
            }

            switch (type.Kind)
            {
                case TypeKind.String:
                    return StructType(Str());
                case TypeKind.Struct:
                    return StructType(Struct(StructOf(type)));
                case TypeKind.List when Scalar(type.Args[0]) is { } inner:
                    return StructType(Span(inner));
                default:
                    throw Unsupported(type, where);
            }
        }

        private static NotSupportedException Unsupported(TypeRef type, string where) =>
            new("no C ABI mapping for " + Describe(type) + " in " + where + " (see docs/native-abi.md, mapping rules)");

        /// <summary>The model type as text, for messages and the canonical spec text.</summary>
        public static string Describe(TypeRef type) =>
            type.Kind + (type.Name.Length > 0 ? "(" + type.Name + ")" : string.Empty)
            + (type.Args.Count > 0 ? "<" + string.Join(",", type.Args.Select(Describe)) + ">" : string.Empty);

        private static CType StructType(CStruct s) => new(s.Name, s.ManagedName, s.Size, s.Align);

        // ---- structs -----------------------------------------------------------------------------------------

        private CStruct Str() => Builtin("llmdd_str", "A UTF-8 string: not NUL-terminated, no NUL inside, at most LLMDD_MAX_STRING_LEN bytes.",
            ("ptr", Integer("char", "byte", 1).PointerTo(isConst: true)), ("len", Length));

        private CStruct Option() => Builtin("llmdd_option", "One entry of an option map.", ("key", StructType(Str())), ("value", StructType(Str())));

        private CStruct Span(CType element)
        {
            var name = Prefix + SpanTag(element.C) + "_span";
            if (!_spans.Contains(element.C))
            {
                _spans.Add(element.C);
            }

            return Builtin(name, "A list of " + element.C + " inside a list.", ("ptr", element.PointerTo(isConst: true)), ("len", Length));
        }

        /// <summary><c>uint64_t</c> → <c>u64</c>, <c>int32_t</c> → <c>i32</c>.</summary>
        public static string SpanTag(string integer) =>
            (integer.StartsWith("u", StringComparison.Ordinal) ? "u" : "i") + new string(integer.Where(char.IsDigit).ToArray());

        private CStruct Builtin(string name, string summary, params (string Name, CType Type)[] fields)
        {
            if (_structs.TryGetValue(name, out var existing))
            {
                return existing;
            }

            var built = Layout(name, summary, fields.ToList(), null);
            _structs[name] = built;
            _order.Add(built);
            return built;
        }

        private static CStruct Layout(string name, string summary, List<(string Name, CType Type)> fields, StructSpec? source)
        {
            var laid = new List<CField>();
            var offset = 0;
            var align = 1;
            foreach (var (fieldName, type) in fields)
            {
                offset = (offset + type.Align - 1) / type.Align * type.Align;
                laid.Add(new CField(fieldName, type, offset));
                offset += type.Size;
                align = Math.Max(align, type.Align);
            }

            var size = (offset + align - 1) / align * align;
            return new CStruct(name, ManagedStructName(name), summary, laid, size, align, source);
        }

        private CStruct Struct(StructSpec spec)
        {
            var name = StructName(spec.NativeName);
            if (_structs.TryGetValue(name, out var existing))
            {
                return existing;
            }

            var fields = new List<(string, CType)>();
            foreach (var field in spec.Fields)
            {
                fields.AddRange(LowerField(field, spec.NativeName + "." + field.NativeName));
            }

            if (fields.Count == 0)
            {
                // C has no empty struct; the one byte keeps the C and C# sizes equal.
                fields.Add(("unused", Integer("uint8_t", "byte", 1)));
            }

            // Nested structs were added first, so _order stays in dependency order.
            var built = Layout(name, spec.Summary, fields, spec);
            _structs[name] = built;
            _order.Add(built);
            return built;
        }

        private IEnumerable<(string Name, CType Type)> LowerField(FieldSpec field, string where)
        {
            var type = Native(field.Type);
            var name = field.NativeName;
            if (Scalar(type) is { } scalar)
            {
                return new[] { (name, scalar) };
            }

            switch (type.Kind)
            {
                case TypeKind.String:
                    return new[] { (name, StructType(Str())) };
                case TypeKind.Struct:
                    return new[] { (name, StructType(Struct(StructOf(type)))) };
                case TypeKind.List:
                    return new[] { (name, Element(type.Args[0], where).PointerTo(isConst: true)), (LengthName(name), Length) };
                case TypeKind.Map when IsOptionMap(type):
                    return new[] { (name, StructType(Option()).PointerTo(isConst: true)), (LengthName(name), Length) };
                case TypeKind.Pair when Scalar(type.Args[0]) is { } first && Scalar(type.Args[1]) is { } second:
                    return new[] { (name + "_first", first), (name + "_second", second) };
                default:
                    throw Unsupported(type, where);
            }
        }

        public static bool IsOptionMap(TypeRef type) =>
            type.Kind == TypeKind.Map && type.Args[0].Kind == TypeKind.String && type.Args[1].Kind == TypeKind.String;

        // ---- functions ---------------------------------------------------------------------------------------

        private void Build()
        {
            // Spec structs in header order (each after what it contains), then whatever the functions add.
            foreach (var s in _spec.Structs)
            {
                Struct(s);
            }

            var cls = _spec.Class;
            var functions = new List<CFunction>
            {
                new(Prefix + "abi_version", "AbiVersionNative", "The version of the mapping rules this library was generated with (LLMDD_ABI_VERSION).",
                    FunctionKind.AbiVersion, Status, Array.Empty<LoweredParam>(), null),
                new(Prefix + "spec_hash", "SpecHashNative", "FNV-1a 64 of the canonical text of the spec this library was generated from (LLMDD_SPEC_HASH).",
                    FunctionKind.SpecHash, Length, Array.Empty<LoweredParam>(), null),
            };

            var where = cls.NativeName + " constructor";
            functions.Add(new CFunction(Prefix + "create", "Create", cls.ConstructorSummary + " On success *out_instance owns it; free it with llmdd_destroy.",
                FunctionKind.Create, Status, cls.ConstructorParams.Select(p => Lower(p, where)).ToList(), null));
            functions.Add(new CFunction(Prefix + "destroy", "Destroy", cls.DisposeSummary + " Null is a no-op.", FunctionKind.Destroy, Void,
                Array.Empty<LoweredParam>(), null));
            foreach (var method in cls.Methods)
            {
                var name = Prefix + Snake(method.NativeName);
                var summary = method.Summary + (method.ReturnsStatus ? string.Empty : " Returns LLM_SUCCESS unless the shim rejects the call.");
                functions.Add(new CFunction(name, Names.Pascal(Snake(method.NativeName)), summary, FunctionKind.Method, Status,
                    method.Params.Select(p => Lower(p, method.NativeName + "." + p.NativeName)).ToList(), method));
            }

            Functions = functions;
        }

        private LoweredParam Lower(ParamSpec p, string where)
        {
            var type = Native(p.Type);
            var name = p.NativeName;
            var none = Array.Empty<LoweredField>();
            if (name == InstanceParam.Name || name == OutInstanceParam.Name)
            {
                throw new NotSupportedException("parameter name '" + name + "' in " + where + " is taken by the ABI's own instance parameter");
            }

            if (!p.IsOut)
            {
                if (Scalar(type) is { } scalar)
                {
                    return new LoweredParam(p, Lowering.Scalar, new[] { new CParam(name, scalar) }, none);
                }

                switch (type.Kind)
                {
                    case TypeKind.String:
                        return new LoweredParam(p, Lowering.String, new[] { new CParam(name, StructType(Str())) }, none);
                    case TypeKind.Struct:
                        return new LoweredParam(p, Lowering.StructIn, new[] { new CParam(name, StructType(Struct(StructOf(type))).PointerTo(isConst: true)) }, none);
                    case TypeKind.List:
                        return new LoweredParam(p, Lowering.List,
                            new[] { new CParam(name, Element(type.Args[0], where).PointerTo(isConst: true)), new CParam(LengthName(name), Length) }, none);
                    case TypeKind.Map when IsOptionMap(type):
                        return new LoweredParam(p, Lowering.Options,
                            new[] { new CParam(name, StructType(Option()).PointerTo(isConst: true)), new CParam(LengthName(name), Length) }, none);
                    case TypeKind.Pair when Scalar(type.Args[0]) is { } first && Scalar(type.Args[1]) is { } second:
                        return new LoweredParam(p, Lowering.Pair, new[] { new CParam(name + "_first", first), new CParam(name + "_second", second) }, none);
                    default:
                        throw Unsupported(type, where);
                }
            }

            if (Scalar(type) is { } outScalar)
            {
                return new LoweredParam(p, Lowering.OutScalar, new[] { new CParam(OutName(name), outScalar.PointerTo(isConst: false)) }, none);
            }

            if (type.Kind == TypeKind.List && Scalar(type.Args[0]) is { } outElement)
            {
                return new LoweredParam(p, Lowering.OutList, OutList(name, outElement), none);
            }

            if (type.Kind == TypeKind.Struct)
            {
                // The caller already has the struct's nested descriptions (it passed them in); only ids and addresses come back.
                var fields = new List<LoweredField>();
                foreach (var field in StructOf(type).Fields)
                {
                    var fieldType = Native(field.Type);
                    if (Scalar(fieldType) is { } fieldScalar)
                    {
                        fields.Add(new LoweredField(field, false, new[] { new CParam(OutName(field.NativeName), fieldScalar.PointerTo(isConst: false)) }));
                    }
                    else if (fieldType.Kind == TypeKind.List && Scalar(fieldType.Args[0]) is { } fieldElement)
                    {
                        fields.Add(new LoweredField(field, true, OutList(OutName(field.NativeName), fieldElement)));
                    }
                }

                return new LoweredParam(p, Lowering.OutStruct, fields.SelectMany(f => f.CParams).ToList(), fields);
            }

            throw Unsupported(type, where + " (out)");
        }

        private static CParam[] OutList(string name, CType element) =>
            new[] { new CParam(name, element.PointerTo(isConst: false)), new CParam(CapacityName(name), Length), new CParam(LengthName(name), Length.PointerTo(isConst: false)) };

        // ---- the spec hash -----------------------------------------------------------------------------------

        /// <summary>
        /// Everything of the model that the two sides of the ABI must agree on, one fact a line: names, types,
        /// directions, enum and status values (not summaries or .NET names). Its hash is generated into both sides.
        /// </summary>
        public static string CanonicalText(ApiSpec spec)
        {
            var sb = new StringBuilder();
            void Line(string text) => sb.Append(text).Append('\n');
            string Params(IEnumerable<ParamSpec> ps) => string.Join(", ", ps.Select(p => (p.IsOut ? "out " : string.Empty) + Describe(p.Type) + " " + p.NativeName));
            Line("llmdd-abi " + Version.ToString(CultureInfo.InvariantCulture));
            Line("class " + spec.Class.NativeNamespace + "::" + spec.Class.NativeName + "(" + Params(spec.Class.ConstructorParams) + ")");
            foreach (var m in spec.Class.Methods)
            {
                Line("method " + (m.ReturnsStatus ? "Status " : "void ") + m.NativeName + "(" + Params(m.Params) + ")");
            }

            foreach (var s in spec.Structs)
            {
                Line("struct " + s.NativeName + " { " + string.Join("; ", s.Fields.Select(f => Describe(f.Type) + " " + f.NativeName)) + " }");
            }

            foreach (var e in spec.Enums)
            {
                Line("enum " + e.NativeName + " : " + e.Underlying + (e.FixedUnderlying ? " fixed" : string.Empty) + " { "
                    + string.Join(", ", e.Members.Select(m => m.NativeName + " = " + m.Value.ToString(CultureInfo.InvariantCulture))) + " }");
            }

            foreach (var s in spec.Statuses)
            {
                Line("status " + s.NativeName + " = 0x" + s.Value.ToString("X8", CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }

        /// <summary>FNV-1a 64 over the UTF-8 bytes.</summary>
        public static ulong Fnv1a64(string text)
        {
            var hash = 0xcbf29ce484222325UL;
            foreach (var b in Encoding.UTF8.GetBytes(text))
            {
                hash ^= b;
                hash *= 0x100000001b3UL;
            }

            return hash;
        }

        public static ulong SpecHash(ApiSpec spec) => Fnv1a64(CanonicalText(spec));

        /// <summary>A status the shim itself returns, by its header name; the spec must define it.</summary>
        public uint StatusValue(string nativeName) =>
            _spec.Statuses.FirstOrDefault(s => s.NativeName == nativeName)?.Value
            ?? throw new NotSupportedException("the spec defines no status " + nativeName + ", which the shim returns");
    }
}
