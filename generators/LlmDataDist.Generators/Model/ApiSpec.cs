namespace LlmDataDist.Generators.Model
{
    internal enum TypeKind
    {
        Void,
        Bool,
        SByte,
        Byte,
        Short,
        UShort,
        Int,
        UInt,
        Long,
        ULong,
        String,
        Status,
        Enum,
        Struct,
        List,
        Map,
        Pair,
        /// <summary>
        /// A hand-written runtime type named by an annotation (e.g. <c>LayerRange</c> for a layer pair); its one
        /// argument is the C++ type it stands for, which the native ABI still needs.
        /// </summary>
        Custom,
    }

    /// <summary>A C++ type resolved to what the SDK knows; <see cref="Name"/> is the .NET name for enums, structs and custom types.</summary>
    internal sealed record TypeRef(TypeKind Kind, string Name, EquatableArray<TypeRef> Args)
    {
        public static TypeRef Of(TypeKind kind) => new(kind, string.Empty, EquatableArray<TypeRef>.Empty);

        public static TypeRef Named(TypeKind kind, string name) => new(kind, name, EquatableArray<TypeRef>.Empty);

        public static TypeRef Generic(TypeKind kind, params TypeRef[] args) => new(kind, string.Empty, new EquatableArray<TypeRef>(args));

        public bool IsValueType => Kind is not (TypeKind.String or TypeKind.Struct or TypeKind.List or TypeKind.Map);
    }

    /// <summary>What a parameter means beyond its C++ type, from the annotations.</summary>
    internal enum ParamUsage
    {
        Plain,
        /// <summary>An integer count of milliseconds: a <see cref="System.TimeSpan"/> in the client.</summary>
        Milliseconds,
        /// <summary>An out list of statuses, one per element of another parameter: per-cluster results in the client.</summary>
        PerClusterResults,
        /// <summary>A string-to-string option map: the typed options class in the client.</summary>
        Options,
    }

    internal sealed record ParamSpec(string NativeName, string ManagedName, TypeRef Type, bool IsOut, string? DefaultExpression,
        ParamUsage Usage, string Summary);

    /// <summary>A method; <see cref="Disposes"/> marks the one the client's DisposeAsync calls (Finalize).</summary>
    internal sealed record MethodSpec(string NativeName, string ManagedName, string Summary, string ReturnsSummary, bool ReturnsStatus,
        bool Disposes, EquatableArray<ParamSpec> Params);

    /// <summary>The class; <see cref="NativeNamespace"/> (e.g. <c>llm_datadist</c>) qualifies it and the structs and enums beside it in C++.</summary>
    internal sealed record ClassSpec(string NativeName, string ManagedName, string Summary, string ConstructorSummary,
        EquatableArray<ParamSpec> ConstructorParams, string DisposeSummary, EquatableArray<MethodSpec> Methods, string NativeNamespace);

    internal sealed record FieldSpec(string NativeName, string ManagedName, TypeRef Type, string? DefaultExpression, string Summary);

    internal sealed record StructSpec(string NativeName, string ManagedName, string Summary, EquatableArray<FieldSpec> Fields);

    /// <summary>An enum member; <see cref="Bits"/> is the element size of a data type (0: none), <see cref="DeviceAllocatable"/> whether CE device memory takes it.</summary>
    internal sealed record EnumMemberSpec(string NativeName, string ManagedName, long Value, string Summary, int Bits, bool DeviceAllocatable);

    /// <summary>
    /// An enum; <see cref="Underlying"/> is a C# keyword. <see cref="FixedUnderlying"/>: C++ fixes the underlying type
    /// (<c>enum class</c> or <c>: T</c>), so every value of it is valid; otherwise only the range of the members is.
    /// </summary>
    internal sealed record EnumSpec(string NativeName, string ManagedName, string Underlying, string Summary, bool HasSizes,
        EquatableArray<EnumMemberSpec> Members, bool FixedUnderlying);

    internal sealed record StatusSpec(string NativeName, string ManagedName, uint Value, string Summary, bool Recoverable, string Advice);

    /// <summary>The .NET shape of an option value.</summary>
    internal enum OptionType
    {
        String,
        Int,
        UInt,
        Bool,
        Milliseconds,
        Endpoint,
        Json,
    }

    internal sealed record OptionSpec(string ConstName, string Key, string ManagedName, OptionType Type, string Summary);

    /// <summary>The whole interface, resolved and named for .NET: the single input of every emitter.</summary>
    internal sealed record ApiSpec(string Namespace, ClassSpec Class, EquatableArray<EnumSpec> Enums, EquatableArray<StructSpec> Structs,
        EquatableArray<StatusSpec> Statuses, EquatableArray<OptionSpec> Options);
}
