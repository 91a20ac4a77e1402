using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Model;
using DiagnosticSeverity = Microsoft.CodeAnalysis.DiagnosticSeverity;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators.Emit.Native
{
    /// <summary>One generated file, by its path from the repository root ('/' separators).</summary>
    internal sealed record GeneratedFile(string RelativePath, string Content);

    /// <summary>The files, or the reasons there are none (spec errors, or a spec construct without an ABI rule).</summary>
    internal sealed record NativeShimResult(IReadOnlyList<GeneratedFile> Files, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings);

    /// <summary>
    /// Emits the native shim from the spec model: the C header and the C++ shim over <c>llm_datadist.h</c>, and the
    /// C# interop that calls it. Everything is derived from <see cref="NativeAbi"/>, so a method or field added to
    /// the spec appears on both sides of the ABI at once. The files are checked in; a test compares them.
    /// </summary>
    internal static partial class NativeShimEmitter
    {
        public const string SpecDirectory = "src/LlmDataDist/spec";
        public const string HeaderPath = "src/LlmDataDist.Ascend/native/generated/llmdd_shim.h";
        public const string SourcePath = "src/LlmDataDist.Ascend/native/generated/llmdd_shim.cpp";
        public const string NativeMethodsPath = "src/LlmDataDist.Ascend/Interop/NativeMethods.g.cs";
        public const string RegenerateCommand = "dotnet run --project generators/LlmDataDist.Generators.Cli";
        public const string InteropNamespace = "LlmDataDist.Ascend.Interop";

        /// <summary>Parses the spec files (path and text), builds the model exactly as the source generator does, and emits.</summary>
        public static NativeShimResult Generate(IEnumerable<(string Path, string Text)> specFiles)
        {
            var parsed = specFiles.Where(f => SpecFiles.IsSpec(f.Path)).Select(f => SpecFiles.Parse(f.Path, SourceText.From(f.Text))).ToList();
            var built = SpecBuilder.Build(parsed, "LlmDataDist");
            var diagnostics = parsed.SelectMany(p => p.Diagnostics).Concat(built.Diagnostics).ToList();
            var errors = diagnostics.Where(d => (Descriptors.ById(d.Id) ?? Descriptors.InternalError).DefaultSeverity == DiagnosticSeverity.Error)
                .Select(d => d.ToString()).ToList();
            var warnings = diagnostics.Select(d => d.ToString()).Except(errors).ToList();
            if (errors.Count > 0 || built.Spec is null)
            {
                return new NativeShimResult(Array.Empty<GeneratedFile>(), errors.Count > 0 ? errors : new List<string> { "the spec built no model" }, warnings);
            }

            try
            {
                return new NativeShimResult(Emit(built.Spec), Array.Empty<string>(), warnings);
            }
            catch (NotSupportedException ex)
            {
                return new NativeShimResult(Array.Empty<GeneratedFile>(), new[] { ex.Message }, warnings);
            }
        }

        /// <summary>The three files; throws <see cref="NotSupportedException"/> for a spec construct without an ABI rule.</summary>
        public static IReadOnlyList<GeneratedFile> Emit(ApiSpec spec)
        {
            var abi = NativeAbi.Of(spec);
            var hash = NativeAbi.SpecHash(spec);
            return new[]
            {
                new GeneratedFile(HeaderPath, EmitHeader(abi, hash)),
                new GeneratedFile(SourcePath, EmitSource(abi)),
                new GeneratedFile(NativeMethodsPath, EmitNativeMethods(abi, hash)),
            };
        }

        private static string Hex(ulong value) => "0x" + value.ToString("X16", CultureInfo.InvariantCulture);

        private static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);

        private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>
        /// <c>prefix(a, b, c)suffix</c>, wrapped before 120 columns with continuation lines aligned after the
        /// parenthesis: long signatures stay reviewable.
        /// </summary>
        internal static string Signature(string indent, string prefix, IReadOnlyList<string> parameters, string suffix, string separator = ",")
        {
            var pieces = parameters.Select((p, i) => p + (i == parameters.Count - 1 ? ")" + suffix : separator)).ToList();
            return Wrap(indent + prefix + "(", parameters.Count == 0 ? new List<string> { ")" + suffix } : pieces);
        }

        /// <summary>Appends the pieces to the start, space-separated, breaking lines before 120 columns; continuations align with the end of the start.</summary>
        internal static string Wrap(string start, IReadOnlyList<string> pieces)
        {
            var sb = new StringBuilder(start);
            var column = start.Length;
            var lineStart = 0;
            for (var i = 0; i < pieces.Count; i++)
            {
                var first = i == 0 || pieces[i].StartsWith(")", StringComparison.Ordinal);
                if (!first && sb.Length - lineStart + 1 + pieces[i].Length > 120)
                {
                    sb.Append('\n');
                    lineStart = sb.Length;
                    sb.Append(' ', column);
                }
                else if (!first)
                {
                    sb.Append(' ');
                }

                sb.Append(pieces[i]);
            }

            return sb.ToString();
        }

        /// <summary>A comment wrapped to 120 columns: <c>/** text */</c> or <c>// text</c> lines.</summary>
        internal static IEnumerable<string> Comment(string open, string text, string close = "")
        {
            var continuation = open == "/**" ? " *" : open;
            var lines = new List<string>();
            var current = open;
            foreach (var word in text.Split(' ').Where(w => w.Length > 0))
            {
                if (current.Length + 1 + word.Length > 120 - close.Length && current != open && current != continuation)
                {
                    lines.Add(current);
                    current = continuation;
                }

                current += " " + word;
            }

            lines.Add(current + close);
            return lines;
        }

        // ---- the C header ------------------------------------------------------------------------------------

        private static string Upper(string name) => NativeAbi.Snake(name).ToUpperInvariant();

        private static string EmitHeader(NativeAbi abi, ulong hash)
        {
            var spec = abi.Spec;
            var sb = new StringBuilder();
            void Line(string text = "") => sb.Append(text).Append('\n');
            Line("/* <auto-generated/>");
            Line(" * Generated by LlmDataDist.Generators.Cli from " + SpecDirectory + " (llm_datadist.h and its annotations). Do not edit;");
            Line(" * regenerate with `" + RegenerateCommand + "`.");
            Line(" *");
            Line(" * The C ABI of " + abi.Qualified(spec.Class.NativeName) + " (rules: docs/native-abi.md). Every function returns a ge::Status");
            Line(" * except llmdd_destroy and the version queries. The shim itself answers LLMDD_LLM_PARAM_INVALID, without calling");
            Line(" * the engine, for: a null instance, a null struct pointer, a null out pointer, a null pointer with a non-zero length,");
            Line(" * a length over LLMDD_MAX_VECTOR_LEN, a string over LLMDD_MAX_STRING_LEN bytes or with a NUL inside, a duplicate");
            Line(" * option key, and an enum value C++ cannot hold. A C++ exception becomes LLMDD_LLM_FAILED (std::bad_alloc:");
            Line(" * LLMDD_LLM_OUT_OF_MEMORY). Out lists: the shim writes min(capacity, size) entries and always sets *x_len to the");
            Line(" * engine's size. Out scalars are read first and written back after the engine returns, like a C++ reference.");
            Line(" */");
            Line("#ifndef LLMDD_SHIM_H_");
            Line("#define LLMDD_SHIM_H_");
            Line();
            Line("#include <stdint.h>");
            Line();
            Line("#if defined(__GNUC__) || defined(__clang__)");
            Line("#define LLMDD_API __attribute__((visibility(\"default\")))");
            Line("#else");
            Line("#define LLMDD_API");
            Line("#endif");
            Line();
            Line("#ifdef __cplusplus");
            Line("extern \"C\" {");
            Line("#endif");
            Line();
            Line("#define LLMDD_ABI_VERSION " + NativeAbi.Version.ToString(CultureInfo.InvariantCulture) + "u");
            Line("#define LLMDD_SPEC_HASH UINT64_C(" + Hex(hash) + ")");
            Line("#define LLMDD_MAX_STRING_LEN " + Int(NativeAbi.MaxStringLength) + "u");
            Line("#define LLMDD_MAX_VECTOR_LEN (UINT64_C(1) << " + Int(NativeAbi.MaxVectorLengthShift) + ")");
            Line();
            Line("/* Statuses (ge::Status). */");
            foreach (var s in spec.Statuses)
            {
                Line("#define LLMDD_" + s.NativeName + " " + Hex(s.Value) + "u");
            }

            foreach (var e in abi.UsedEnums)
            {
                Line();
                Line("/* " + e.NativeName + " (" + abi.Scalar(TypeRef.Named(TypeKind.Enum, e.ManagedName))!.C + "). */");
                foreach (var m in e.Members)
                {
                    Line("#define LLMDD_" + Upper(e.NativeName) + "_" + Upper(m.ManagedName).TrimStart('_') + " " + (m.Value < 0 ? "(" + Int(m.Value) + ")" : Int(m.Value)));
                }
            }

            Line();
            Line("/** Owns one " + abi.Qualified(spec.Class.NativeName) + "; opaque. */");
            Line("typedef struct llmdd_instance llmdd_instance;");
            foreach (var s in abi.Structs)
            {
                Line();
                foreach (var line in Comment("/**", (s.Source is null ? s.Summary : s.Source.NativeName + ": " + s.Summary), " */"))
                {
                    Line(line);
                }

                Line("typedef struct " + s.Name + " {");
                foreach (var f in s.Fields)
                {
                    Line("  " + f.Type.C + " " + f.Name + ";");
                }

                Line("} " + s.Name + ";");
            }

            foreach (var f in abi.Functions)
            {
                Line();
                foreach (var line in Comment("/**", f.Summary, " */"))
                {
                    Line(line);
                }

                var parameters = CParamsOf(f).Select(p => p.Type.C + " " + p.Name).ToList();
                if (parameters.Count == 0)
                {
                    parameters.Add("void");
                }

                Line(Signature(string.Empty, "LLMDD_API " + f.Returns.C + " " + f.Name, parameters, ";"));
            }

            Line();
            Line("#ifdef __cplusplus");
            Line("}  /* extern \"C\" */");
            Line("#endif");
            Line();
            Line("#endif  /* LLMDD_SHIM_H_ */");
            return sb.ToString();
        }

        /// <summary>The C parameters of a function, with the instance (first) and the created instance (last) where they belong.</summary>
        internal static IReadOnlyList<CParam> CParamsOf(CFunction f) => f.Kind switch
        {
            FunctionKind.Create => f.CParams.Concat(new[] { NativeAbi.OutInstanceParam }).ToList(),
            FunctionKind.Destroy => new[] { NativeAbi.InstanceParam },
            FunctionKind.Method => new[] { NativeAbi.InstanceParam }.Concat(f.CParams).ToList(),
            _ => Array.Empty<CParam>(),
        };
    }
}
