using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>The option key constants and the typed options class that renders the native string map.</summary>
    internal static class OptionsEmitter
    {
        public static string Emit(EquatableArray<OptionSpec> options, string className, string ns)
        {
            var w = new CodeWriter();
            w.Line("namespace " + ns + ";").Line();
            w.Summary("The option keys of the header (OPTION_* constants).");
            w.Open("public static class LlmOptionKeys");
            foreach (var option in options)
            {
                w.Summary(option.Summary);
                w.Line("/// <remarks>C++: <c>" + option.ConstName + "</c>.</remarks>");
                w.Line("public const string " + option.ManagedName + " = " + CodeWriter.Literal(option.Key) + ";");
            }

            w.Close();
            w.Line();
            w.Summary("Typed options of Initialize and SetRole. Unset properties are left out of the native map, so the library's defaults apply.");
            w.Open("public sealed partial class " + className + "Options");
            foreach (var option in options)
            {
                w.Summary(option.Summary);
                w.Line("/// <remarks>Native key <c>" + option.Key + "</c>.</remarks>");
                w.Line("public " + PropertyType(option.Type) + "? " + option.ManagedName + " { get; set; }");
                w.Line();
            }

            w.Summary("Options the typed properties do not cover (for example <c>ge.*</c> keys), passed through as written.");
            w.Line("public global::System.Collections.Generic.IDictionary<string, string> AdditionalOptions { get; } =");
            w.Line("    new global::System.Collections.Generic.Dictionary<string, string>(global::System.StringComparer.Ordinal);");
            w.Line();
            w.Summary("Renders the native option map, validating each value; throws ArgumentException naming the rule a value breaks.");
            w.Open("public global::System.Collections.Generic.IReadOnlyDictionary<string, string> ToNativeOptions()");
            w.Line("var map = new global::System.Collections.Generic.SortedDictionary<string, string>(global::System.StringComparer.Ordinal);");
            foreach (var option in options)
            {
                var local = char.ToLowerInvariant(option.ManagedName[0]) + option.ManagedName.Substring(1);
                w.Open("if (" + option.ManagedName + " is { } " + local + ")");
                w.Line("map.Add(LlmOptionKeys." + option.ManagedName + ", global::" + ns + ".LlmOptionFormat." + option.Type + "(" + local + ", nameof(" + option.ManagedName + ")));");
                w.Close();
                w.Line();
            }

            w.Line("global::" + ns + ".LlmOptionFormat.AddAdditional(map, AdditionalOptions);");
            w.Line("return map;");
            w.Close();
            w.Close();
            return w.ToString();
        }

        private static string PropertyType(OptionType type) => type switch
        {
            OptionType.Int => "int",
            OptionType.UInt => "uint",
            OptionType.Bool => "bool",
            OptionType.Milliseconds => "global::System.TimeSpan",
            OptionType.Endpoint => "global::System.Net.IPEndPoint",
            _ => "string",
        };
    }
}
