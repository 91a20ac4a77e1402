using System.Globalization;
using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>The status enum, what is known of each status, and one exception type per failure status.</summary>
    internal static class StatusEmitter
    {
        public static string Emit(EquatableArray<StatusSpec> statuses, string ns)
        {
            var w = new CodeWriter();
            var type = TypeNames.StatusType;
            w.Line("namespace " + ns + ";").Line();
            w.Summary("Status codes of LLM-DataDist calls. A value outside this list is kept as its raw number.");
            w.Open("public enum " + type + " : uint");
            foreach (var status in statuses)
            {
                w.Summary(status.Summary);
                w.Line("/// <remarks>C++: <c>" + status.NativeName + "</c> = 0x" + status.Value.ToString("X8", CultureInfo.InvariantCulture) + ".</remarks>");
                w.Line(status.ManagedName + " = 0x" + status.Value.ToString("X8", CultureInfo.InvariantCulture) + ",");
            }

            w.Close();
            w.Line();
            w.Summary("What the documentation says of each status.");
            w.Open("public static class " + type + "Info");
            Switch(w, "Whether the documentation calls the status recoverable (retry or re-link may help).", "bool", "IsRecoverable",
                statuses.Where(s => s.Recoverable).Select(s => (s, "true")), "false");
            Switch(w, "What a caller should do about the status, or an empty string.", "string", "GetAdvice",
                statuses.Where(s => s.Advice.Length > 0).Select(s => (s, CodeWriter.Literal(s.Advice))), "\"\"");
            Switch(w, "A one-line description of the status.", "string", "GetDescription",
                statuses.Select(s => (s, CodeWriter.Literal(s.Summary))), "\"Unknown status 0x\" + ((uint)status).ToString(\"X8\", global::System.Globalization.CultureInfo.InvariantCulture) + \".\"");
            Switch(w, "The C++ constant name, or null for a raw code the header does not name.", "string?", "GetNativeName",
                statuses.Select(s => (s, CodeWriter.Literal(s.NativeName))), "null");
            w.Summary("Whether the header names this status.");
            w.Line("public static bool IsKnown(this " + type + " status) => GetNativeName(status) is not null;");
            w.Close();
            w.Line();
            Exceptions(w, statuses, ns);
            return w.ToString();
        }

        private static void Switch(CodeWriter w, string summary, string returns, string name, System.Collections.Generic.IEnumerable<(StatusSpec Status, string Value)> cases, string fallback)
        {
            w.Summary(summary);
            w.Open("public static " + returns + " " + name + "(this " + TypeNames.StatusType + " status) => status switch");
            foreach (var (status, value) in cases)
            {
                w.Line(TypeNames.StatusType + "." + status.ManagedName + " => " + value + ",");
            }

            w.Line("_ => " + fallback + ",");
            w.Close(";");
            w.Line();
        }

        private static void Exceptions(CodeWriter w, EquatableArray<StatusSpec> statuses, string ns)
        {
            var failures = statuses.Where(s => s.Value != 0).ToList();
            w.Open("public partial class LlmDataDistException");
            w.Summary("Creates the exception type that belongs to the status (the base type for codes the header does not name); the reason is the backend's, when it gave one.");
            w.Open("public static LlmDataDistException Create(" + TypeNames.StatusType + " status, string operation, global::" + ns + ".ClusterResults? clusters = null, string? reason = null) => status switch");
            foreach (var status in failures)
            {
                w.Line(TypeNames.StatusType + "." + status.ManagedName + " => new " + ExceptionName(status) + "(operation, clusters, reason),");
            }

            w.Line("_ => new LlmDataDistException(status, operation, clusters, reason),");
            w.Close(";");
            w.Close();
            foreach (var status in failures)
            {
                w.Line();
                w.Summary("Thrown when a call returns " + status.NativeName + ": " + status.Summary);
                w.Open("public sealed class " + ExceptionName(status) + " : LlmDataDistException");
                w.Summary("Creates the exception for the named operation.");
                w.Line("public " + ExceptionName(status) + "(string operation, global::" + ns + ".ClusterResults? clusters = null, string? reason = null)");
                w.Line("    : base(" + TypeNames.StatusType + "." + status.ManagedName + ", operation, clusters, reason)");
                w.Line("{");
                w.Line("}");
                w.Close();
            }
        }

        public static string ExceptionName(StatusSpec status) => "Llm" + status.ManagedName + "Exception";
    }
}
