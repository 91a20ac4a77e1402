using System.Collections.Generic;
using System.Linq;
using System.Text;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit.Native
{
    internal static partial class NativeShimEmitter
    {
        /// <summary>The shim's fixed part: checks and conversions that do not depend on the spec.</summary>
        private const string Helpers = """
            constexpr uint32_t kSuccess = LLMDD_LLM_SUCCESS;
            constexpr uint32_t kParamInvalid = LLMDD_LLM_PARAM_INVALID;
            constexpr uint32_t kFailed = LLMDD_LLM_FAILED;
            constexpr uint32_t kOutOfMemory = LLMDD_LLM_OUT_OF_MEMORY;

            // Returns the status of a check or conversion that failed.
            #define LLMDD_TRY(expr)                    \
              do {                                     \
                const uint32_t llmdd_status_ = (expr); \
                if (llmdd_status_ != kSuccess) {       \
                  return llmdd_status_;                \
                }                                      \
              } while (false)

            // A (pointer, length) pair from managed code: the length is bounded before anything is read.
            uint32_t CheckSpan(const void* ptr, uint64_t len) {
              if (len > LLMDD_MAX_VECTOR_LEN || (len != 0 && ptr == nullptr)) {
                return kParamInvalid;
              }
              return kSuccess;
            }

            template <typename T>
            uint32_t CheckOut(const T* ptr) {
              return ptr == nullptr ? kParamInvalid : kSuccess;
            }

            template <typename T>
            uint32_t CheckOutList(const T* ptr, uint64_t capacity, const uint64_t* len) {
              return len == nullptr ? kParamInvalid : CheckSpan(ptr, capacity);
            }

            // Writes what fits and always reports the engine's size, so the caller can retry with a larger buffer.
            template <typename In, typename Out>
            void CopyOutList(const std::vector<In>& values, Out* ptr, uint64_t capacity, uint64_t* len) {
              const uint64_t count = std::min<uint64_t>(capacity, values.size());
              for (uint64_t i = 0; i < count; ++i) {
                ptr[i] = static_cast<Out>(values[i]);
              }
              *len = values.size();
            }

            // AscendString is built from a NUL-terminated copy, so the text must not hold a NUL of its own.
            uint32_t ToNative(const llmdd_str& in, {{ns}}::AscendString& out) {
              if (in.len > LLMDD_MAX_STRING_LEN || (in.len != 0 && in.ptr == nullptr)) {
                return kParamInvalid;
              }
              if (in.len != 0 && std::memchr(in.ptr, '\0', static_cast<size_t>(in.len)) != nullptr) {
                return kParamInvalid;
              }
              const std::string text = in.len == 0 ? std::string() : std::string(in.ptr, static_cast<size_t>(in.len));
              out = {{ns}}::AscendString(text.c_str());
              return kSuccess;
            }

            """;

        private const string Templates = """
            template <typename In, typename Out>
            uint32_t ToNativeList(const In* ptr, uint64_t len, std::vector<Out>& out) {
              LLMDD_TRY(CheckSpan(ptr, len));
              out.clear();
              if (len == 0) {
                return kSuccess;
              }
              if constexpr (std::is_arithmetic<In>::value && std::is_arithmetic<Out>::value) {
                out.assign(ptr, ptr + len);
              } else {
                out.resize(static_cast<size_t>(len));
                for (size_t i = 0; i < out.size(); ++i) {
                  LLMDD_TRY(ToNative(ptr[i], out[i]));
                }
              }
              return kSuccess;
            }

            template <typename In, typename Out>
            uint32_t ToNativeRequired(const In* ptr, Out& out) {
              return ptr == nullptr ? kParamInvalid : ToNative(*ptr, out);
            }

            // A key given twice is ambiguous: rejected rather than letting one silently win.
            uint32_t ToNativeOptions(const llmdd_option* ptr, uint64_t len,
                                     std::map<{{ns}}::AscendString, {{ns}}::AscendString>& out) {
              LLMDD_TRY(CheckSpan(ptr, len));
              out.clear();
              for (uint64_t i = 0; i < len; ++i) {
                {{ns}}::AscendString key;
                {{ns}}::AscendString value;
                LLMDD_TRY(ToNative(ptr[i].key, key));
                LLMDD_TRY(ToNative(ptr[i].value, value));
                if (!out.emplace(std::move(key), std::move(value)).second) {
                  return kParamInvalid;
                }
              }
              return kSuccess;
            }

            // The engine's exceptions stop here: nothing unwinds into managed code.
            template <typename Body>
            uint32_t Guarded(Body&& body) noexcept {
              try {
                return body();
              } catch (const std::bad_alloc&) {
                return kOutOfMemory;
              } catch (...) {
                return kFailed;
              }
            }

            """;

        private static string EmitSource(NativeAbi abi)
        {
            var spec = abi.Spec;
            var ns = abi.ClassNamespace;
            var sb = new StringBuilder();
            void Line(string text = "") => sb.Append(text).Append('\n');
            void Block(string text)
            {
                foreach (var line in text.Replace("\r", string.Empty).Replace("{{ns}}", ns).TrimEnd('\n').Split('\n'))
                {
                    Line(line);
                }
            }

            // The shim's own statuses must exist in the spec, or the header would not define them.
            abi.StatusValue("LLM_SUCCESS");
            abi.StatusValue("LLM_PARAM_INVALID");
            abi.StatusValue("LLM_FAILED");
            abi.StatusValue("LLM_OUT_OF_MEMORY");

            Line("// <auto-generated/>");
            Line("// Generated by LlmDataDist.Generators.Cli from " + SpecDirectory + " (llm_datadist.h and its annotations). Do not edit;");
            Line("// regenerate with `" + RegenerateCommand + "`.");
            Line("//");
            Line("// Converts the C structs of llmdd_shim.h to the C++ types of llm_datadist.h and calls " + abi.Qualified(spec.Class.NativeName) + ".");
            Line("// Nothing from the caller is trusted: every pointer and length is checked before it is read. The shim keeps no");
            Line("// state of its own and takes no lock: calling one instance from many threads is as safe as the C++ class is.");
            Line("#include \"llmdd_shim.h\"");
            Line();
            foreach (var header in new[] { "algorithm", "cstddef", "cstring", "map", "new", "string", "type_traits", "utility", "vector" })
            {
                Line("#include <" + header + ">");
            }

            Line();
            Line("#include \"llm_datadist.h\"");
            Line();
            Line("// The layout the C# interop assumes (LP64, natural alignment): a compiler that lays a struct out otherwise stops here.");
            Line("static_assert(sizeof(void*) == 8, \"the llmdd ABI is defined for 64-bit targets\");");
            foreach (var s in abi.Structs)
            {
                var checks = new List<string> { "sizeof(" + s.Name + ") == " + Int(s.Size) };
                checks.AddRange(s.Fields.Select(f => "offsetof(" + s.Name + ", " + f.Name + ") == " + Int(f.Offset)));
                var pieces = checks.Select((c, i) => c + (i == checks.Count - 1 ? "," : " &&")).Concat(new[] { "\"" + s.Name + " layout\");" }).ToList();
                Line(Wrap("static_assert(", pieces));
            }

            Line();
            Line("struct llmdd_instance {");
            Line("  template <typename... Args>");
            Line("  explicit llmdd_instance(Args&&... args) : engine(std::forward<Args>(args)...) {}");
            Line("  " + abi.Qualified(spec.Class.NativeName) + " engine;");
            Line("};");
            Line();
            Line("namespace {");
            Line();
            Block(Helpers);
            Line();
            Line("// Declared before the templates below so that they find every conversion.");
            foreach (var e in abi.UsedEnums)
            {
                Line("uint32_t ToNative(" + EnumC(abi, e) + " in, " + abi.Qualified(e.NativeName) + "& out);");
            }

            foreach (var element in abi.SpanElements)
            {
                Line("template <typename Out>");
                Line("uint32_t ToNative(const " + SpanName(element) + "& in, std::vector<Out>& out);");
            }

            foreach (var s in abi.Structs.Where(s => s.Source is not null))
            {
                Line("uint32_t ToNative(const " + s.Name + "& in, " + abi.Qualified(s.Source!.NativeName) + "& out);");
            }

            Line();
            Block(Templates);
            Line();
            foreach (var e in abi.UsedEnums)
            {
                EmitEnumConversion(abi, e, Line);
                Line();
            }

            foreach (var element in abi.SpanElements)
            {
                Line("template <typename Out>");
                Line("uint32_t ToNative(const " + SpanName(element) + "& in, std::vector<Out>& out) {");
                Line("  return ToNativeList(in.ptr, in.len, out);");
                Line("}");
                Line();
            }

            foreach (var s in abi.Structs.Where(s => s.Source is not null))
            {
                EmitStructConversion(abi, s, Line);
                Line();
            }

            Line("}  // namespace");
            Line();
            Line("extern \"C\" {");
            foreach (var f in abi.Functions)
            {
                Line();
                EmitFunction(abi, f, Line);
            }

            Line();
            Line("}  // extern \"C\"");
            return sb.ToString();
        }

        private static string SpanName(string element) => NativeAbi.Prefix + NativeAbi.SpanTag(element) + "_span";

        private static string EnumC(NativeAbi abi, EnumSpec e) => abi.Scalar(TypeRef.Named(TypeKind.Enum, e.ManagedName))!.C;

        private static void EmitEnumConversion(NativeAbi abi, EnumSpec e, System.Action<string> line)
        {
            var cpp = abi.Qualified(e.NativeName);
            line("uint32_t ToNative(" + EnumC(abi, e) + " in, " + cpp + "& out) {");
            if (e.FixedUnderlying)
            {
                line("  // A fixed underlying type: every value is a valid " + e.NativeName + "; the engine judges it.");
            }
            else
            {
                // Without a fixed underlying type, C++ defines only the values of the smallest bit field that holds
                // every member; converting anything else is undefined behaviour, so it never reaches the engine.
                var (low, high) = EnumRange(e);
                line("  // No fixed underlying type: only [" + Int(low) + ", " + Int(high) + "] (the members' bit range) is a valid " + e.NativeName + ".");
                line("  if (in < " + Int(low) + " || in > " + Int(high) + ") {");
                line("    return kParamInvalid;");
                line("  }");
            }

            line("  out = static_cast<" + cpp + ">(in);");
            line("  return kSuccess;");
            line("}");
        }

        /// <summary>The values an enum without a fixed underlying type can hold ([expr.static.cast], [dcl.enum]/8).</summary>
        internal static (long Low, long High) EnumRange(EnumSpec e)
        {
            var min = e.Members.Count == 0 ? 0 : e.Members.Min(m => m.Value);
            var max = e.Members.Count == 0 ? 0 : e.Members.Max(m => m.Value);
            var bits = 0;
            if (min >= 0)
            {
                while (bits < 62 && (1L << bits) - 1 < max)
                {
                    bits++;
                }

                return (0, (1L << bits) - 1);
            }

            while (bits < 62 && (-(1L << bits) > min || (1L << bits) - 1 < max))
            {
                bits++;
            }

            return (-(1L << bits), (1L << bits) - 1);
        }

        private static void EmitStructConversion(NativeAbi abi, CStruct s, System.Action<string> line)
        {
            var source = s.Source!;
            var cpp = abi.Qualified(source.NativeName);
            if (source.Fields.Count == 0)
            {
                line("uint32_t ToNative(const " + s.Name + "& /*in*/, " + cpp + "& /*out*/) {");
                line("  return kSuccess;");
                line("}");
                return;
            }

            line("uint32_t ToNative(const " + s.Name + "& in, " + cpp + "& out) {");
            foreach (var field in source.Fields)
            {
                var type = NativeAbi.Native(field.Type);
                var n = field.NativeName;
                switch (type.Kind)
                {
                    case TypeKind.Enum:
                    case TypeKind.String:
                    case TypeKind.Struct:
                        line("  LLMDD_TRY(ToNative(in." + n + ", out." + n + "));");
                        break;
                    case TypeKind.Bool:
                        line("  out." + n + " = in." + n + " != 0;");
                        break;
                    case TypeKind.List:
                        line("  LLMDD_TRY(ToNativeList(in." + n + ", in." + NativeAbi.LengthName(n) + ", out." + n + "));");
                        break;
                    case TypeKind.Map:
                        line("  LLMDD_TRY(ToNativeOptions(in." + n + ", in." + NativeAbi.LengthName(n) + ", out." + n + "));");
                        break;
                    case TypeKind.Pair:
                        line("  " + ScalarInto(type.Args[0], "in." + n + "_first", "out." + n + ".first"));
                        line("  " + ScalarInto(type.Args[1], "in." + n + "_second", "out." + n + ".second"));
                        break;
                    default:
                        line("  out." + n + " = in." + n + ";");
                        break;
                }
            }

            line("  return kSuccess;");
            line("}");
        }

        private static string ScalarInto(TypeRef type, string from, string to) => NativeAbi.Native(type).Kind switch
        {
            TypeKind.Enum => "LLMDD_TRY(ToNative(" + from + ", " + to + "));",
            TypeKind.Bool => to + " = " + from + " != 0;",
            _ => to + " = " + from + ";",
        };

        /// <summary>The C++ type of a model type, for the shim's locals.</summary>
        private static string Cpp(NativeAbi abi, TypeRef type)
        {
            type = NativeAbi.Native(type);
            return type.Kind switch
            {
                TypeKind.Bool => "bool",
                TypeKind.SByte => "int8_t",
                TypeKind.Byte => "uint8_t",
                TypeKind.Short => "int16_t",
                TypeKind.UShort => "uint16_t",
                TypeKind.Int => "int32_t",
                TypeKind.UInt => "uint32_t",
                TypeKind.Long => "int64_t",
                TypeKind.ULong => "uint64_t",
                TypeKind.Status => abi.Qualified("Status"),
                TypeKind.String => abi.Qualified("AscendString"),
                TypeKind.Enum => abi.Qualified(abi.EnumOf(type).NativeName),
                TypeKind.Struct => abi.Qualified(abi.StructOf(type).NativeName),
                TypeKind.List => "std::vector<" + Cpp(abi, type.Args[0]) + ">",
                TypeKind.Map => "std::map<" + Cpp(abi, type.Args[0]) + ", " + Cpp(abi, type.Args[1]) + ">",
                TypeKind.Pair => "std::pair<" + Cpp(abi, type.Args[0]) + ", " + Cpp(abi, type.Args[1]) + ">",
                _ => throw new System.NotSupportedException("no C++ type for " + NativeAbi.Describe(type)),
            };
        }

        private static void EmitFunction(NativeAbi abi, CFunction f, System.Action<string> line)
        {
            var parameters = CParamsOf(f).Select(p => p.Type.C + " " + p.Name).ToList();
            if (parameters.Count == 0)
            {
                parameters.Add("void");
            }

            line(Signature(string.Empty, f.Returns.C + " " + f.Name, parameters, " {"));
            switch (f.Kind)
            {
                case FunctionKind.AbiVersion:
                    line("  return LLMDD_ABI_VERSION;");
                    line("}");
                    return;
                case FunctionKind.SpecHash:
                    line("  return LLMDD_SPEC_HASH;");
                    line("}");
                    return;
                case FunctionKind.Destroy:
                    line("  // Null is a no-op, like delete; the engine's destructor finalizes a live instance.");
                    line("  delete instance;");
                    line("}");
                    return;
                case FunctionKind.Create:
                    line("  if (out_instance == nullptr) {");
                    line("    return kParamInvalid;");
                    line("  }");
                    line("  *out_instance = nullptr;");
                    break;
                default:
                    line("  if (instance == nullptr) {");
                    line("    return kParamInvalid;");
                    line("  }");
                    break;
            }

            line("  return Guarded([&]() -> uint32_t {");
            var args = new List<string>();
            var after = new List<string>();
            foreach (var p in f.Params)
            {
                args.Add(EmitParam(abi, p, s => line("    " + s), after));
            }

            if (f.Kind == FunctionKind.Create)
            {
                line("    *out_instance = new llmdd_instance(" + string.Join(", ", args) + ");");
                line("    return kSuccess;");
            }
            else
            {
                var call = "instance->engine." + f.Method!.NativeName;
                if (f.Method.ReturnsStatus)
                {
                    line(Signature("    ", "const uint32_t status = static_cast<uint32_t>(" + call, args, ");"));
                }
                else
                {
                    line(Signature("    ", call, args, ";"));
                }

                foreach (var s in after)
                {
                    line("    " + s);
                }

                line(f.Method.ReturnsStatus ? "    return status;" : "    return kSuccess;");
            }

            line("  });");
            line("}");
        }

        /// <summary>Checks and converts one parameter into a local; returns the argument for the engine call.</summary>
        private static string EmitParam(NativeAbi abi, LoweredParam p, System.Action<string> line, List<string> after)
        {
            var n = p.Source.NativeName;
            var local = n + "_value";
            var type = NativeAbi.Native(p.Source.Type);
            switch (p.Kind)
            {
                case Lowering.Scalar:
                    if (type.Kind == TypeKind.Enum)
                    {
                        line(Cpp(abi, type) + " " + local + "{};");
                        line("LLMDD_TRY(ToNative(" + n + ", " + local + "));");
                        return local;
                    }

                    return type.Kind == TypeKind.Bool ? n + " != 0" : n;
                case Lowering.String:
                    line(Cpp(abi, type) + " " + local + ";");
                    line("LLMDD_TRY(ToNative(" + n + ", " + local + "));");
                    return local;
                case Lowering.StructIn:
                    line(Cpp(abi, type) + " " + local + "{};");
                    line("LLMDD_TRY(ToNativeRequired(" + n + ", " + local + "));");
                    return local;
                case Lowering.List:
                    line(Cpp(abi, type) + " " + local + ";");
                    line("LLMDD_TRY(ToNativeList(" + n + ", " + NativeAbi.LengthName(n) + ", " + local + "));");
                    return local;
                case Lowering.Options:
                    line(Cpp(abi, type) + " " + local + ";");
                    line("LLMDD_TRY(ToNativeOptions(" + n + ", " + NativeAbi.LengthName(n) + ", " + local + "));");
                    return local;
                case Lowering.Pair:
                    line(Cpp(abi, type) + " " + local + "{};");
                    line(ScalarInto(type.Args[0], n + "_first", local + ".first"));
                    line(ScalarInto(type.Args[1], n + "_second", local + ".second"));
                    return local;
                case Lowering.OutScalar:
                {
                    var outName = NativeAbi.OutName(n);
                    line("LLMDD_TRY(CheckOut(" + outName + "));");
                    line(Cpp(abi, type) + " " + local + "{};");
                    line(ScalarInto(type, "*" + outName, local));
                    after.Add("*" + outName + " = static_cast<" + abi.Scalar(type)!.C + ">(" + local + ");");
                    return local;
                }

                case Lowering.OutList:
                    line("LLMDD_TRY(CheckOutList(" + n + ", " + NativeAbi.CapacityName(n) + ", " + NativeAbi.LengthName(n) + "));");
                    line(Cpp(abi, type) + " " + local + ";");
                    after.Add("CopyOutList(" + local + ", " + n + ", " + NativeAbi.CapacityName(n) + ", " + NativeAbi.LengthName(n) + ");");
                    return local;
                default:
                {
                    // An out struct: its returned fields are checked first, its scalars seeded from the caller.
                    foreach (var field in p.OutFields)
                    {
                        var outName = NativeAbi.OutName(field.Source.NativeName);
                        line(field.IsList
                            ? "LLMDD_TRY(CheckOutList(" + outName + ", " + NativeAbi.CapacityName(outName) + ", " + NativeAbi.LengthName(outName) + "));"
                            : "LLMDD_TRY(CheckOut(" + outName + "));");
                    }

                    line(Cpp(abi, type) + " " + local + "{};");
                    foreach (var field in p.OutFields)
                    {
                        var outName = NativeAbi.OutName(field.Source.NativeName);
                        var member = local + "." + field.Source.NativeName;
                        if (field.IsList)
                        {
                            after.Add("CopyOutList(" + member + ", " + outName + ", " + NativeAbi.CapacityName(outName) + ", " + NativeAbi.LengthName(outName) + ");");
                        }
                        else
                        {
                            line(ScalarInto(field.Source.Type, "*" + outName, member));
                            after.Add("*" + outName + " = static_cast<" + abi.Scalar(field.Source.Type)!.C + ">(" + member + ");");
                        }
                    }

                    return local;
                }
            }
        }
    }
}
