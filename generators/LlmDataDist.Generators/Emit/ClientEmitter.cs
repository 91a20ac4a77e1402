using System.Collections.Generic;
using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>
    /// The typed client: .NET conventions over the raw contract. Per method it checks nulls, fills the header's
    /// defaults, converts TimeSpans and typed options, calls the hand-written <c>Validate…</c> partial (argument
    /// rules of the reference), records telemetry, then turns a failure status into an exception.
    /// </summary>
    internal static class ClientEmitter
    {
        public static string Emit(ClassSpec cls, string ns)
        {
            var w = new CodeWriter();
            var client = cls.ManagedName + "Client";
            var backend = TypeNames.Qualified(ns, ContractEmitter.BackendName(cls));
            var disposer = cls.Methods.FirstOrDefault(m => m.Disposes);
            w.Line("namespace " + ns + ";").Line();
            w.Summary(cls.Summary + " The typed client: validates arguments before they reach the backend and throws a typed exception for every failure status.");
            w.Open("public sealed partial class " + client + " : global::System.IAsyncDisposable");
            w.Line("private readonly " + backend + " _backend;");
            w.Line("private readonly global::" + ns + ".LlmCallTelemetry _telemetry;");
            w.Line("private int _disposed;");
            w.Line();
            w.Summary("Wraps an existing backend instance; the client owns it from here on.");
            w.Doc("param", "name=\"backend\"", "The backend instance.");
            w.Doc("param", "name=\"options\"", "Telemetry and time settings; null for the defaults.");
            w.Open("public " + client + "(" + backend + " backend, global::" + ns + "." + client + "Options? options = null)");
            w.Line("_backend = backend ?? throw new global::System.ArgumentNullException(nameof(backend));");
            w.Line("_telemetry = new global::" + ns + ".LlmCallTelemetry(options ?? new global::" + ns + "." + client + "Options());");
            w.Close();
            w.Line();
            w.Summary(cls.ConstructorSummary + " The backend instance comes from the factory.");
            w.Doc("param", "name=\"factory\"", "Creates the backend instance.");
            foreach (var p in cls.ConstructorParams)
            {
                w.Doc("param", "name=\"" + p.ManagedName.TrimStart('@') + "\"", p.Summary);
            }

            w.Doc("param", "name=\"options\"", "Telemetry and time settings; null for the defaults.");
            w.Doc("returns", string.Empty, "A client over a new, not yet initialized instance.");
            var ctorParams = string.Join(", ", cls.ConstructorParams.Select(p => TypeNames.Of(p.Type, ns) + " " + p.ManagedName));
            w.Open("public static " + client + " Create(" + TypeNames.Qualified(ns, ContractEmitter.BackendName(cls)) + "Factory factory, " + ctorParams
                + ", global::" + ns + "." + client + "Options? options = null)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(factory);");
            w.Line("return new " + client + "(factory.Create(" + string.Join(", ", cls.ConstructorParams.Select(p => p.ManagedName)) + "), options);");
            w.Close();
            w.Line();
            w.Summary("The backend instance this client calls.");
            w.Line("public " + backend + " Backend => _backend;");
            foreach (var method in cls.Methods)
            {
                w.Line();
                Method(w, method, ns);
            }

            w.Line();
            w.Summary(cls.DisposeSummary + (disposer is null ? string.Empty : " Calls " + disposer.NativeName + " first.") + " Calling it again does nothing.");
            w.Doc("returns", string.Empty, "A task that completes when the instance is released.");
            w.Open("public async global::System.Threading.Tasks.ValueTask DisposeAsync()");
            w.Open("if (global::System.Threading.Interlocked.Exchange(ref _disposed, 1) != 0)");
            w.Line("return;");
            w.Close();
            w.Line();
            if (disposer is not null)
            {
                w.Open("try");
                Invoke(w, ns, CodeWriter.Literal(disposer.NativeName), "_backend." + disposer.ManagedName + "Async(global::System.Threading.CancellationToken.None)", null);
                w.Close();
                w.Open("finally");
                w.Line("_backend.Dispose();");
                w.Close();
            }
            else
            {
                w.Line("_backend.Dispose();");
            }

            w.Close();
            w.Line();
            w.Line("private void ThrowIfDisposed() => global::System.ObjectDisposedException.ThrowIf(global::System.Threading.Volatile.Read(ref _disposed) != 0, this);");
            w.Line();
            foreach (var method in cls.Methods.Where(m => Inputs(m).Any()))
            {
                w.Line("partial void Validate" + method.ManagedName + "(" + ArgumentsName(method) + " arguments);");
            }

            w.Close();
            // The hand-written rules read arguments by name from one record, so a parameter added to the spec leaves
            // them compiling; a rule about a parameter that disappeared fails to compile, as it should.
            foreach (var method in cls.Methods.Where(m => Inputs(m).Any()))
            {
                w.Line();
                w.Summary("The arguments of " + method.NativeName + " after the client filled defaults and converted types, as the backend receives them.");
                foreach (var p in Inputs(method))
                {
                    w.Doc("param", "name=\"" + Names.Pascal(p.NativeName) + "\"", p.Summary);
                }

                w.Line("internal readonly record struct " + ArgumentsName(method) + "("
                    + string.Join(", ", Inputs(method).Select(p => TypeNames.Of(p.Type, ns) + " " + Names.Pascal(p.NativeName))) + ");");
            }

            return w.ToString();
        }

        private static IEnumerable<ParamSpec> Inputs(MethodSpec method) => method.Params.Where(p => !p.IsOut);

        private static string ArgumentsName(MethodSpec method) => method.ManagedName + "Arguments";

        /// <summary>The client's name of a parameter: a millisecond count becomes a TimeSpan named without its unit.</summary>
        private static string ClientName(ParamSpec p)
        {
            if (p.Usage != ParamUsage.Milliseconds)
            {
                return p.ManagedName;
            }

            foreach (var unit in new[] { "InMillis", "Millis", "Ms" })
            {
                if (p.ManagedName.EndsWith(unit, System.StringComparison.Ordinal) && p.ManagedName.Length > unit.Length)
                {
                    return p.ManagedName.Substring(0, p.ManagedName.Length - unit.Length);
                }
            }

            return p.ManagedName;
        }

        private static bool Optional(ParamSpec p) => p.DefaultExpression is not null;

        private static string ManagedType(ParamSpec p, string ns)
        {
            var nullable = p.DefaultExpression == "null";
            return p.Usage switch
            {
                ParamUsage.Milliseconds => "global::System.TimeSpan" + (Optional(p) ? "?" : string.Empty),
                ParamUsage.Options => "global::" + ns + ".LlmDataDistOptions" + (Optional(p) ? "?" : string.Empty),
                _ => TypeNames.Of(p.Type, ns) + (nullable ? "?" : string.Empty),
            };
        }

        private static string Declaration(ParamSpec p, string ns)
        {
            var text = ManagedType(p, ns) + " " + ClientName(p);
            if (!Optional(p))
            {
                return text;
            }

            var isNull = p.DefaultExpression == "null" || p.Usage is ParamUsage.Milliseconds or ParamUsage.Options;
            return text + " = " + (isNull ? "null" : p.DefaultExpression);
        }

        private static string ReturnType(MethodSpec method, string ns, out ParamSpec? perCluster, out List<ParamSpec> outs)
        {
            outs = method.Params.Where(p => p.IsOut).ToList();
            perCluster = outs.FirstOrDefault(p => p.Usage == ParamUsage.PerClusterResults);
            if (perCluster is not null)
            {
                return "global::System.Threading.Tasks.ValueTask<global::" + ns + ".ClusterResults>";
            }

            return outs.Count switch
            {
                0 => "global::System.Threading.Tasks.ValueTask",
                1 => "global::System.Threading.Tasks.ValueTask<" + TypeNames.Of(outs[0].Type, ns) + ">",
                _ => "global::System.Threading.Tasks.ValueTask<" + TypeNames.Qualified(ns, ContractEmitter.ResultName(method)) + ">",
            };
        }

        private static void Method(CodeWriter w, MethodSpec method, string ns)
        {
            var returnType = ReturnType(method, ns, out var perCluster, out var outs);
            var operation = CodeWriter.Literal(method.NativeName);
            w.Summary(method.Summary);
            w.Line("/// <remarks>C++: <c>" + method.NativeName + "</c>.</remarks>");
            foreach (var p in Inputs(method))
            {
                var extra = p.Usage == ParamUsage.Milliseconds && Optional(p) ? "; null for the header's default (" + p.DefaultExpression + " ms)" : string.Empty;
                w.Doc("param", "name=\"" + ClientName(p).TrimStart('@') + "\"", p.Summary + extra + ".");
            }

            w.Doc("param", "name=\"cancellationToken\"", "Stops waiting for the call.");
            w.Doc("returns", string.Empty, perCluster is not null ? "The status of every cluster, in input order." : outs.Count == 1 ? outs[0].Summary : "A task that completes when the call succeeded.");
            if (method.ReturnsStatus)
            {
                w.Line("/// <exception cref=\"global::" + ns + ".LlmDataDistException\">The call returned a failure status.</exception>");
                w.Line("/// <exception cref=\"global::System.ArgumentException\">An argument breaks a rule of the reference; nothing reached the backend.</exception>");
            }

            var declarations = Inputs(method).Select(p => Declaration(p, ns)).Concat(new[] { "global::System.Threading.CancellationToken cancellationToken = default" });
            w.Open("public async " + returnType + " " + method.ManagedName + "Async(" + string.Join(", ", declarations) + ")");
            w.Line("ThrowIfDisposed();");
            var callArgs = new List<string>();
            foreach (var p in Inputs(method))
            {
                callArgs.Add(Convert(w, p, ns));
            }

            if (callArgs.Count > 0)
            {
                w.Line("Validate" + method.ManagedName + "(new " + ArgumentsName(method) + "(" + string.Join(", ", callArgs) + "));");
            }

            w.Line("cancellationToken.ThrowIfCancellationRequested();");
            var invoke = "_backend." + method.ManagedName + "Async(" + string.Join(", ", callArgs.Concat(new[] { "cancellationToken" })) + ")";
            var failed = "throw global::" + ns + ".LlmDataDistException.Create({0}, " + operation + ", {1}global::" + ns + ".LlmFailureReasons.Take(_backend, reasonCall));";
            if (!method.ReturnsStatus)
            {
                Invoke(w, ns, operation, invoke, null);
            }
            else if (outs.Count == 0)
            {
                Invoke(w, ns, operation, invoke, "status");
                w.Open("if (status != " + TypeNames.Qualified(ns, TypeNames.StatusType) + ".Success)");
                w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture, failed, "status", "null, "));
                w.Close();
            }
            else
            {
                Invoke(w, ns, operation, invoke, "result", TypeNames.Qualified(ns, ContractEmitter.ResultName(method)));
                if (perCluster is not null)
                {
                    var clusters = Inputs(method).First(p => p.Type.Kind == TypeKind.List && p.Type.Args[0].Kind == TypeKind.Struct);
                    w.Line("var results = global::" + ns + ".ClusterResults.Create(result.Status, " + clusters.ManagedName + ", result." + Names.Pascal(perCluster.NativeName) + ");");
                    w.Open("if (result.Status != " + TypeNames.Qualified(ns, TypeNames.StatusType) + ".Success)");
                    w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture, failed, "result.Status", "results, "));
                    w.Close();
                    w.Line("return results;");
                }
                else
                {
                    w.Open("if (result.Status != " + TypeNames.Qualified(ns, TypeNames.StatusType) + ".Success)");
                    w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture, failed, "result.Status", "null, "));
                    w.Close();
                    w.Line(outs.Count == 1 ? "return result." + Names.Pascal(outs[0].NativeName) + ";" : "return result;");
                }
            }

            w.Close();
        }

        /// <summary>
        /// Writes the backend call between the telemetry's begin and end. The call is a value ended explicitly (not a
        /// disposable), so a call nobody observes allocates nothing; a backend that throws ends it as an exception.
        /// </summary>
        private static void Invoke(CodeWriter w, string ns, string operation, string invoke, string? result, string? resultType = null)
        {
            var status = TypeNames.Qualified(ns, TypeNames.StatusType);
            var valueType = result is null ? null : resultType ?? status;
            w.Line("var call = _telemetry.Begin(" + operation + ");");
            if (valueType is not null)
            {
                // The backend sees the call's number only while its method starts (see LlmFailureReasons).
                w.Line("var reasonCall = global::" + ns + ".LlmFailureReasons.Enter();");
                w.Line(valueType + " " + result + ";");
            }

            w.Open("try");
            if (valueType is null)
            {
                w.Line("await " + invoke + ".ConfigureAwait(false);");
            }
            else
            {
                w.Line("global::System.Threading.Tasks.ValueTask<" + valueType + "> pending;");
                w.Open("try");
                w.Line("pending = " + invoke + ";");
                w.Close();
                w.Open("finally");
                w.Line("global::" + ns + ".LlmFailureReasons.Exit();");
                w.Close();
                w.Line();
                w.Line(result + " = await pending.ConfigureAwait(false);");
            }

            w.Close();
            w.Open("catch (global::System.Exception exception)");
            w.Line("call.Fail(exception);");
            w.Line("throw;");
            w.Close();
            w.Line();
            w.Line(result is null ? "call.End(" + status + ".Success);" : resultType is null ? "call.End(" + result + ");" : "call.End(" + result + ".Status);");
        }

        /// <summary>Writes the checks and conversions of one parameter; returns the expression the backend gets.</summary>
        private static string Convert(CodeWriter w, ParamSpec p, string ns)
        {
            var name = p.ManagedName;
            var bare = name.TrimStart('@');
            switch (p.Usage)
            {
                case ParamUsage.Milliseconds:
                    var fallback = Optional(p) ? p.DefaultExpression : null;
                    var client = ClientName(p);
                    w.Line("var " + bare + " = global::" + ns + ".LlmArguments.ToMilliseconds(" + client + (fallback is null ? string.Empty : " ?? global::System.TimeSpan.FromMilliseconds(" + fallback + ")") + ", nameof(" + client + "));");
                    return bare;
                case ParamUsage.Options:
                    if (!Optional(p))
                    {
                        w.Line("global::System.ArgumentNullException.ThrowIfNull(" + name + ");");
                    }

                    w.Line("var " + bare + "Map = " + (Optional(p) ? "(" + name + " ?? new global::" + ns + ".LlmDataDistOptions())" : name) + ".ToNativeOptions();");
                    return bare + "Map";
            }

            if (p.Type.IsValueType)
            {
                return name;
            }

            if (p.DefaultExpression == "null")
            {
                var empty = TypeNames.EmptyValue(p.Type, ns) ?? "default!";
                w.Line(name + " ??= " + empty + ";");
            }
            else
            {
                w.Line("global::System.ArgumentNullException.ThrowIfNull(" + name + ");");
            }

            if (p.Type.Kind == TypeKind.List && !p.Type.Args[0].IsValueType)
            {
                w.Line("global::" + ns + ".LlmArguments.NoNullElements(" + name + ", nameof(" + name + "));");
            }

            return name;
        }
    }
}
