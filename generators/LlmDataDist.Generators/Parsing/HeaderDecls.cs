using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Parsing
{
    /// <summary>A C++ type as written: qualified name, template arguments, const / reference / pointer marks.</summary>
    internal sealed record RawType(string Name, EquatableArray<RawType> Args, bool IsConst, bool IsReference, bool IsPointer)
    {
        /// <summary>The last component of the qualified name: <c>std::vector</c> gives <c>vector</c>.</summary>
        public string Simple => Name.Substring(Name.LastIndexOf(':') + 1);

        public override string ToString() =>
            (IsConst ? "const " : string.Empty) + Name + (Args.Count > 0 ? "<" + string.Join(", ", Args) + ">" : string.Empty)
            + (IsPointer ? "*" : string.Empty) + (IsReference ? "&" : string.Empty);
    }

    /// <summary>Where a declaration stands, so diagnostics can point at it.</summary>
    internal sealed record SourceSpot(string Path, int Start, int Length, int Line, int Column, int EndLine, int EndColumn)
    {
        public static SourceSpot Of(string path, Token token) =>
            new(path, token.Start, token.Length, token.Line, token.Column, token.Line, token.Column + token.Length);
    }

    /// <summary>A <c>constexpr</c> or <c>const</c> constant: a string, a number, or another constant's name.</summary>
    internal sealed record RawConstant(string Namespace, string Name, RawType Type, string Value, bool IsString, SourceSpot Spot);

    internal sealed record RawEnumMember(string Name, string? ValueText, string? Doc, SourceSpot Spot);

    internal sealed record RawEnum(string Namespace, string Name, string? Underlying, bool IsScoped, string? Doc,
        EquatableArray<RawEnumMember> Members, SourceSpot Spot);

    internal sealed record RawField(string Name, RawType Type, int? ArrayLength, string? Initializer, string? Doc, SourceSpot Spot);

    internal sealed record RawStruct(string Namespace, string Name, string? Doc, EquatableArray<RawField> Fields, SourceSpot Spot);

    internal sealed record RawParam(string Name, RawType Type, string? Default, SourceSpot Spot);

    internal enum MethodKind
    {
        Method,
        Constructor,
        Destructor,
    }

    internal sealed record RawMethod(string Name, MethodKind Kind, RawType? Returns, EquatableArray<RawParam> Params, string? Doc, SourceSpot Spot);

    internal sealed record RawClass(string Namespace, string Name, string? Doc, EquatableArray<RawMethod> Methods, SourceSpot Spot);

    /// <summary><c>using A = B;</c> (an alias) or <c>using ns::Name;</c> (an imported name, <see cref="Target"/> = full name).</summary>
    internal sealed record RawUsing(string Namespace, string? Alias, string Target, SourceSpot Spot);

    /// <summary>Everything one header declares that the SDK can use, in declaration order.</summary>
    internal sealed record HeaderDecls(
        EquatableArray<RawConstant> Constants,
        EquatableArray<RawEnum> Enums,
        EquatableArray<RawStruct> Structs,
        EquatableArray<RawClass> Classes,
        EquatableArray<RawUsing> Usings);
}
