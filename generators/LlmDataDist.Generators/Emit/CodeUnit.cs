using System.Collections.Generic;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    internal enum UnitKind
    {
        Enum,
        Struct,
        Statuses,
        Options,
        Contract,
        Client,
    }

    /// <summary>
    /// One generated file and only the part of the spec it needs, so an edit to one struct re-emits that struct
    /// alone: every other unit compares equal and stays cached.
    /// </summary>
    internal sealed record CodeUnit(string HintName, UnitKind Kind, string Namespace, EnumSpec? Enum, StructSpec? Struct,
        EquatableArray<StatusSpec> Statuses, EquatableArray<OptionSpec> Options, ClassSpec? Class)
    {
        public static IEnumerable<CodeUnit> Split(ApiSpec spec)
        {
            var ns = spec.Namespace;
            var none = EquatableArray<StatusSpec>.Empty;
            var noOptions = EquatableArray<OptionSpec>.Empty;
            foreach (var e in spec.Enums)
            {
                yield return new CodeUnit(e.ManagedName + ".g.cs", UnitKind.Enum, ns, e, null, none, noOptions, null);
            }

            foreach (var s in spec.Structs)
            {
                yield return new CodeUnit(s.ManagedName + ".g.cs", UnitKind.Struct, ns, null, s, none, noOptions, null);
            }

            yield return new CodeUnit(TypeNames.StatusType + ".g.cs", UnitKind.Statuses, ns, null, null, spec.Statuses, noOptions, null);
            yield return new CodeUnit(spec.Class.ManagedName + "Options.g.cs", UnitKind.Options, ns, null, null, none, spec.Options,
                spec.Class with { Methods = EquatableArray<MethodSpec>.Empty, ConstructorParams = EquatableArray<ParamSpec>.Empty });
            yield return new CodeUnit(ContractEmitter.BackendName(spec.Class) + ".g.cs", UnitKind.Contract, ns, null, null, none, noOptions, spec.Class);
            yield return new CodeUnit(spec.Class.ManagedName + "Client.g.cs", UnitKind.Client, ns, null, null, none, noOptions, spec.Class);
        }

        public string Emit() => Kind switch
        {
            UnitKind.Enum => EnumEmitter.Emit(Enum!, Namespace),
            UnitKind.Struct => StructEmitter.Emit(Struct!, Namespace),
            UnitKind.Statuses => StatusEmitter.Emit(Statuses, Namespace),
            UnitKind.Options => OptionsEmitter.Emit(Options, Class!.ManagedName, Namespace),
            UnitKind.Contract => ContractEmitter.Emit(Class!, Namespace),
            _ => ClientEmitter.Emit(Class!, Namespace),
        };
    }
}
