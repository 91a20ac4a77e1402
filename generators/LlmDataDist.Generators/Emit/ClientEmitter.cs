using System.Collections.Generic;
using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>
    /// The typed client: .NET conventions over the raw contract. Per method it checks nulls, fills the header's
    /// defaults, converts TimeSpans and typed options, calls the hand-written <c>Validate…</c> partial (argument
    /// rules of the reference), records telemetry, then turns a failure status into an exception. A backend task that
    /// has already completed is handled without an async state machine (the zero-cost hot path).
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
                Invoke(w, ns, CodeWriter.Literal(disposer.NativeName), "_backend." + disposer.ManagedName + "Async(global::System.Threading.CancellationToken.None)");
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
            var signature = method.ManagedName + "Async(" + string.Join(", ", declarations) + ")";
            if (!method.ReturnsStatus)
            {
                w.Open("public async " + returnType + " " + signature);
                var args = Prologue(w, method, ns);
                Invoke(w, ns, operation, Backend(method, args));
                w.Close();
                return;
            }

            StatusMethod(w, method, ns, returnType, signature, perCluster, outs);
        }

        /// <summary>Writes the disposed check, the argument checks and conversions, the rules and the cancellation check;
        /// returns the arguments the backend gets.</summary>
        private static List<string> Prologue(CodeWriter w, MethodSpec method, string ns)
        {
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
            return callArgs;
        }

        private static string Backend(MethodSpec method, List<string> args) =>
            "_backend." + method.ManagedName + "Async(" + string.Join(", ", args.Concat(new[] { "cancellationToken" })) + ")";

        /// <summary>
        /// Writes a status-returning method as a plain method with a synchronous fast path: when the backend's task has
        /// already completed, the status is checked in place, so no async state machine runs. Only a pending task goes
        /// to the <c>…AwaitAsync</c> helper. Every exception still arrives through the returned task (as from an async
        /// method), telemetry sees the same begin/end/fail, and the backend is called only after every rule passed.
        /// </summary>
        private static void StatusMethod(CodeWriter w, MethodSpec method, string ns, string returnType, string signature, ParamSpec? perCluster, List<ParamSpec> outs)
        {
            var status = TypeNames.Qualified(ns, TypeNames.StatusType);
            var valueType = outs.Count == 0 ? status : TypeNames.Qualified(ns, ContractEmitter.ResultName(method));
            var pendingType = "global::System.Threading.Tasks.ValueTask<" + valueType + ">";
            var callType = "global::" + ns + ".LlmCallTelemetry.LlmCall";
            var generic = returnType.IndexOf('<');
            var resultType = generic < 0 ? null : returnType.Substring(generic + 1, returnType.Length - generic - 2);
            var clusters = perCluster is null ? null : Inputs(method).First(p => p.Type.Kind == TypeKind.List && p.Type.Args[0].Kind == TypeKind.Struct);
            var extra = clusters is null ? string.Empty : ", " + clusters.ManagedName;
            var extraParam = clusters is null ? string.Empty : ", " + TypeNames.Of(clusters.Type, ns) + " " + clusters.ManagedName;
            var end = method.ManagedName + "End";
            var awaitName = method.ManagedName + "AwaitAsync";

            w.Open("public " + returnType + " " + signature);
            w.Line(callType + " call;");
            w.Line("long reasonCall;");
            w.Line(pendingType + " pending;");
            w.Open("try");
            var args = Prologue(w, method, ns);
            w.Line("call = _telemetry.Begin(" + CodeWriter.Literal(method.NativeName) + ");");
            // The backend sees the call's mark only while its method starts (see LlmFailureReasons).
            w.Line("var outerCall = global::" + ns + ".LlmFailureReasons.Enter();");
            w.Open("try");
            w.Line("pending = " + Backend(method, args) + ";");
            w.Close();
            w.Open("catch (global::System.Exception exception)");
            w.Line("call.Fail(exception);");
            w.Line("throw;");
            w.Close();
            w.Open("finally");
            w.Line("reasonCall = global::" + ns + ".LlmFailureReasons.Exit(outerCall);");
            w.Close();
            w.Line();
            w.Open("if (pending.IsCompletedSuccessfully)");
            if (resultType is null)
            {
                w.Line(end + "(pending.Result, call, reasonCall);");
                w.Line("return default;");
            }
            else
            {
                w.Line("return new " + returnType + "(" + end + "(pending.Result, call, reasonCall" + extra + "));");
            }

            w.Close();
            w.Close();
            w.Open("catch (global::System.Exception exception)");
            w.Line("return global::System.Threading.Tasks.ValueTask.FromException" + (resultType is null ? string.Empty : "<" + resultType + ">") + "(exception);");
            w.Close();
            w.Line();
            w.Line("return " + awaitName + "(pending, call, reasonCall" + extra + ");");
            w.Close();

            w.Line();
            w.Open("private async " + returnType + " " + awaitName + "(" + pendingType + " pending, " + callType + " call, long reasonCall" + extraParam + ")");
            w.Line(valueType + " result;");
            w.Open("try");
            w.Line("result = await pending.ConfigureAwait(false);");
            w.Close();
            w.Open("catch (global::System.Exception exception)");
            w.Line("call.Fail(exception);");
            w.Line("throw;");
            w.Close();
            w.Line();
            w.Line((resultType is null ? string.Empty : "return ") + end + "(result, call, reasonCall" + extra + ");");
            w.Close();

            // Ends the telemetry and turns a failure status into the exception; a success gives the caller's value.
            w.Line();
            w.Open("private " + (resultType ?? "void") + " " + end + "(" + valueType + " result, " + callType + " call, long reasonCall" + extraParam + ")");
            var statusOf = outs.Count == 0 ? "result" : "result.Status";
            var failed = "throw global::" + ns + ".LlmDataDistException.Create(" + statusOf + ", " + CodeWriter.Literal(method.NativeName) + ", {0}global::" + ns + ".LlmFailureReasons.Take(_backend, reasonCall));";
            w.Line("call.End(" + statusOf + ");");
            if (perCluster is not null)
            {
                w.Line("var results = global::" + ns + ".ClusterResults.Create(result.Status, " + clusters!.ManagedName + ", result." + Names.Pascal(perCluster.NativeName) + ");");
                w.Open("if (result.Status != " + status + ".Success)");
                w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture, failed, "results, "));
                w.Close();
                w.Line("return results;");
            }
            else
            {
                w.Open("if (" + statusOf + " != " + status + ".Success)");
                w.Line(string.Format(System.Globalization.CultureInfo.InvariantCulture, failed, "null, "));
                w.Close();
                if (resultType is not null)
                {
                    w.Line(outs.Count == 1 ? "return result." + Names.Pascal(outs[0].NativeName) + ";" : "return result;");
                }
            }

            w.Close();
        }

        /// <summary>
        /// Writes a call that returns no status (shutdown) between the telemetry's begin and end. The call is a value
        /// ended explicitly (not a disposable), so a call nobody observes allocates nothing; a backend that throws ends
        /// it as an exception.
        /// </summary>
        private static void Invoke(CodeWriter w, string ns, string operation, string invoke)
        {
            w.Line("var call = _telemetry.Begin(" + operation + ");");
            w.Open("try");
            w.Line("await " + invoke + ".ConfigureAwait(false);");
            w.Close();
            w.Open("catch (global::System.Exception exception)");
            w.Line("call.Fail(exception);");
            w.Line("throw;");
            w.Close();
            w.Line();
            w.Line("call.End(" + TypeNames.Qualified(ns, TypeNames.StatusType) + ".Success);");
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
