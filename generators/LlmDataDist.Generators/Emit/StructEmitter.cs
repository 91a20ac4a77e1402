using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>
    /// A sealed record per C++ struct: init-only properties with the header's defaults, a parameterless and a
    /// full constructor, and equality / printing that look into lists, so two equal caches compare equal.
    /// </summary>
    internal static class StructEmitter
    {
        public static string Emit(StructSpec spec, string ns)
        {
            var w = new CodeWriter();
            w.Line("namespace " + ns + ";").Line();
            w.Summary(spec.Summary);
            w.Line("/// <remarks>C++: <c>llm_datadist::" + spec.NativeName + "</c>; reserved fields are not mapped.</remarks>");
            w.Open("public sealed partial record " + spec.ManagedName);
            w.Summary("Creates an instance with the header's defaults.");
            w.Line("public " + spec.ManagedName + "()");
            w.Line("{");
            w.Line("}");
            if (spec.Fields.Count > 0)
            {
                w.Line();
                w.Summary("Creates an instance with every field given.");
                foreach (var field in spec.Fields)
                {
                    w.Doc("param", "name=\"" + Names.Camel(field.NativeName).TrimStart('@') + "\"", field.Summary);
                }

                w.Line("public " + spec.ManagedName + "(" + string.Join(", ", spec.Fields.Select(f => TypeNames.Of(f.Type, ns) + " " + Names.Camel(f.NativeName))) + ")");
                w.Line("{");
                foreach (var field in spec.Fields)
                {
                    var arg = Names.Camel(field.NativeName);
                    w.Line("    " + field.ManagedName + " = " + (field.Type.IsValueType ? arg : arg + " ?? throw new global::System.ArgumentNullException(nameof(" + arg + "))") + ";");
                }

                w.Line("}");
            }

            foreach (var field in spec.Fields)
            {
                w.Line();
                w.Summary(field.Summary);
                w.Line("/// <remarks>C++: <c>" + field.NativeName + "</c>.</remarks>");
                var initial = field.DefaultExpression ?? TypeNames.EmptyValue(field.Type, ns);
                w.Line("public " + TypeNames.Of(field.Type, ns) + " " + field.ManagedName + " { get; init; }" + (initial is null ? string.Empty : " = " + initial + ";"));
            }

            if (spec.Fields.Any(f => TypeNames.IsSequence(f.Type)))
            {
                w.Line();
                ContentEquality(w, spec, ns);
            }

            w.Close();
            return w.ToString();
        }

        private static void ContentEquality(CodeWriter w, StructSpec spec, string ns)
        {
            w.Summary("Compares field by field, lists by content.");
            w.Open("public bool Equals(" + spec.ManagedName + "? other)");
            w.Line("if (ReferenceEquals(this, other)) return true;");
            w.Line("if (other is null) return false;");
            var terms = spec.Fields.Select(f => TypeNames.IsSequence(f.Type)
                ? "global::" + ns + ".SequenceEquality.Equal(" + f.ManagedName + ", other." + f.ManagedName + ")"
                : "global::System.Collections.Generic.EqualityComparer<" + TypeNames.Of(f.Type, ns) + ">.Default.Equals(" + f.ManagedName + ", other." + f.ManagedName + ")");
            w.Line("return " + string.Join("\n        && ", terms) + ";");
            w.Close();
            w.Line();
            w.Summary("Hashes field by field, lists by content.");
            w.Open("public override int GetHashCode()");
            w.Line("var hash = new global::System.HashCode();");
            foreach (var field in spec.Fields)
            {
                w.Line(TypeNames.IsSequence(field.Type)
                    ? "hash.Add(global::" + ns + ".SequenceEquality.Hash(" + field.ManagedName + "));"
                    : "hash.Add(" + field.ManagedName + ");");
            }

            w.Line("return hash.ToHashCode();");
            w.Close();
            w.Line();
            w.Line("private bool PrintMembers(global::System.Text.StringBuilder builder)");
            w.Line("{");
            var first = true;
            foreach (var field in spec.Fields)
            {
                var value = TypeNames.IsSequence(field.Type) ? "global::" + ns + ".SequenceEquality.Print(" + field.ManagedName + ")" : field.ManagedName;
                w.Line("    builder.Append(\"" + (first ? string.Empty : ", ") + field.ManagedName + " = \").Append(" + value + ");");
                first = false;
            }

            w.Line("    return true;");
            w.Line("}");
        }
    }
}
