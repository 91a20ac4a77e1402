using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>
    /// The backend contract: one async method per C++ method, 1:1 with the header, returning the raw status and
    /// the out-values; a factory for the constructor; <c>Dispose</c> for the destructor.
    /// </summary>
    internal static class ContractEmitter
    {
        public static string Emit(ClassSpec cls, string ns)
        {
            var w = new CodeWriter();
            var backend = BackendName(cls);
            w.Line("namespace " + ns + ";").Line();
            w.Summary("Creates backend instances: the C++ constructor of " + cls.NativeName + ".");
            w.Open("public interface " + backend + "Factory");
            w.Summary(cls.ConstructorSummary);
            foreach (var p in cls.ConstructorParams)
            {
                w.Doc("param", "name=\"" + p.ManagedName.TrimStart('@') + "\"", p.Summary);
            }

            w.Doc("returns", string.Empty, "A new, not yet initialized backend instance.");
            w.Line(backend + " Create(" + string.Join(", ", cls.ConstructorParams.Select(p => TypeNames.Of(p.Type, ns) + " " + p.ManagedName)) + ");");
            w.Close();
            w.Line();
            w.Summary(cls.Summary + " The raw contract that every backend implements: statuses come back as values and are never thrown.");
            w.Line("/// <remarks><see cref=\"global::System.IDisposable.Dispose\"/> is the C++ destructor: " + CodeWriter.Xml(cls.DisposeSummary) + "</remarks>");
            w.Open("public interface " + backend + " : global::System.IDisposable");
            var first = true;
            foreach (var method in cls.Methods)
            {
                if (!first)
                {
                    w.Line();
                }

                first = false;
                w.Summary(method.Summary);
                w.Line("/// <remarks>C++: <c>" + method.NativeName + "</c>.</remarks>");
                foreach (var p in method.Params.Where(p => !p.IsOut))
                {
                    w.Doc("param", "name=\"" + p.ManagedName.TrimStart('@') + "\"", p.Summary);
                }

                w.Doc("param", "name=\"cancellationToken\"", "Stops waiting for the call; what the backend already did stays done.");
                w.Doc("returns", string.Empty, ReturnsDoc(method));
                w.Line(ReturnType(method, ns) + " " + method.ManagedName + "Async(" + Parameters(method, ns) + ");");
            }

            w.Close();
            foreach (var method in cls.Methods.Where(m => m.Params.Any(p => p.IsOut)))
            {
                w.Line();
                w.Summary("The status and out-values of " + method.NativeName + ".");
                w.Doc("param", "name=\"Status\"", "The status the call returned.");
                foreach (var p in method.Params.Where(p => p.IsOut))
                {
                    w.Doc("param", "name=\"" + Names.Pascal(p.NativeName) + "\"", p.Summary);
                }

                w.Line("public readonly record struct " + ResultName(method) + "(" + TypeNames.Qualified(ns, TypeNames.StatusType) + " Status, "
                    + string.Join(", ", method.Params.Where(p => p.IsOut).Select(p => TypeNames.Of(p.Type, ns) + " " + Names.Pascal(p.NativeName))) + ");");
            }

            return w.ToString();
        }

        public static string BackendName(ClassSpec cls) => "I" + cls.ManagedName + "Backend";

        public static string ResultName(MethodSpec method) => method.ManagedName + "Result";

        private static string ReturnsDoc(MethodSpec method) =>
            !method.ReturnsStatus ? "A task that completes when the call has."
            : method.Params.Any(p => p.IsOut) ? "The status and the out-values (meaningful on success)."
            : (method.ReturnsSummary.Length > 0 ? method.ReturnsSummary : "The status of the call.");

        public static string ReturnType(MethodSpec method, string ns)
        {
            if (!method.ReturnsStatus)
            {
                return "global::System.Threading.Tasks.ValueTask";
            }

            return "global::System.Threading.Tasks.ValueTask<" + (method.Params.Any(p => p.IsOut) ? TypeNames.Qualified(ns, ResultName(method)) : TypeNames.Qualified(ns, TypeNames.StatusType)) + ">";
        }

        private static string Parameters(MethodSpec method, string ns) =>
            string.Join(", ", method.Params.Where(p => !p.IsOut).Select(p => TypeNames.Of(p.Type, ns) + " " + p.ManagedName)
                .Concat(new[] { "global::System.Threading.CancellationToken cancellationToken = default" }));
    }
}
