using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>How model types are spelled in generated C#: fully qualified, so user usings cannot change meaning.</summary>
    internal static class TypeNames
    {
        public const string StatusType = "LlmStatus";

        public static string Qualified(string ns, string name) => "global::" + ns + "." + name;

        public static string Of(TypeRef type, string ns) => type.Kind switch
        {
            TypeKind.Void => "void",
            TypeKind.Bool => "bool",
            TypeKind.SByte => "sbyte",
            TypeKind.Byte => "byte",
            TypeKind.Short => "short",
            TypeKind.UShort => "ushort",
            TypeKind.Int => "int",
            TypeKind.UInt => "uint",
            TypeKind.Long => "long",
            TypeKind.ULong => "ulong",
            TypeKind.String => "string",
            TypeKind.Status => Qualified(ns, StatusType),
            TypeKind.Enum or TypeKind.Struct or TypeKind.Custom => Qualified(ns, type.Name),
            TypeKind.List => "global::System.Collections.Generic.IReadOnlyList<" + Of(type.Args[0], ns) + ">",
            TypeKind.Map => "global::System.Collections.Generic.IReadOnlyDictionary<" + Of(type.Args[0], ns) + ", " + Of(type.Args[1], ns) + ">",
            TypeKind.Pair => "(" + string.Join(", ", type.Args.Select(a => Of(a, ns))) + ")",
            _ => "object",
        };

        /// <summary>The C# default of a member that the header leaves without an initializer.</summary>
        public static string? EmptyValue(TypeRef type, string ns) => type.Kind switch
        {
            TypeKind.String => "\"\"",
            TypeKind.List => "[]",
            TypeKind.Map => "new global::System.Collections.Generic.Dictionary<" + Of(type.Args[0], ns) + ", " + Of(type.Args[1], ns) + ">()",
            TypeKind.Struct => "new()",
            _ => null,
        };

        public static bool IsSequence(TypeRef type) => type.Kind is TypeKind.List or TypeKind.Map;
    }
}
