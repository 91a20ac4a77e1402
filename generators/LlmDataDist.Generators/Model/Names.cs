using System.Collections.Generic;
using System.Text;

namespace LlmDataDist.Generators.Model
{
    /// <summary>How C++ names become .NET names: one place for every rule.</summary>
    internal static class Names
    {
        private static readonly HashSet<string> Keywords = new()
        {
            "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
            "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
            "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
            "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
            "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
            "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
            "using", "virtual", "void", "volatile", "while",
        };

        /// <summary><c>tensor_num_per_layer</c> → <c>TensorNumPerLayer</c>; <c>FLOAT8_E5M2</c> → <c>Float8E5m2</c>.</summary>
        public static string Pascal(string snake)
        {
            var sb = new StringBuilder();
            foreach (var part in snake.Split('_'))
            {
                if (part.Length == 0)
                {
                    continue;
                }

                var allUpper = part.ToUpperInvariant() == part;
                sb.Append(char.ToUpperInvariant(part[0]));
                sb.Append(allUpper ? part.Substring(1).ToLowerInvariant() : part.Substring(1));
            }

            return sb.Length == 0 ? "_" : sb.ToString();
        }

        public static string Camel(string snake)
        {
            var pascal = Pascal(snake);
            var camel = char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
            return Keywords.Contains(camel) ? "@" + camel : camel;
        }

        /// <summary>Enum member: <c>kPrompt</c> → <c>Prompt</c>; otherwise the shared prefix (<c>DT_</c>) goes and the rest is Pascal-cased.</summary>
        public static string EnumMember(string name, string sharedPrefix)
        {
            if (name.Length > 1 && name[0] == 'k' && char.IsUpper(name[1]))
            {
                return name.Substring(1);
            }

            var rest = name.StartsWith(sharedPrefix, System.StringComparison.Ordinal) ? name.Substring(sharedPrefix.Length) : name;
            var pascal = Pascal(rest);
            return char.IsDigit(pascal[0]) ? "_" + pascal : pascal;
        }

        /// <summary>The longest prefix ending in '_' that every name shares (<c>DT_</c>, <c>LLM_</c>), or empty.</summary>
        public static string SharedPrefix(IReadOnlyList<string> names)
        {
            if (names.Count < 2)
            {
                return string.Empty;
            }

            var prefix = names[0];
            foreach (var name in names)
            {
                var i = 0;
                while (i < prefix.Length && i < name.Length && prefix[i] == name[i])
                {
                    i++;
                }

                prefix = prefix.Substring(0, i);
            }

            var cut = prefix.LastIndexOf('_');
            return cut < 0 ? string.Empty : prefix.Substring(0, cut + 1);
        }

        /// <summary>Edit distance, for "did you mean" hints.</summary>
        public static int Distance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
            {
                previous[j] = j;
            }

            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                    current[j] = System.Math.Min(System.Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }

        public static string? Closest(string name, IEnumerable<string> candidates)
        {
            string? best = null;
            var bestDistance = int.MaxValue;
            foreach (var candidate in candidates)
            {
                var distance = Distance(name, candidate);
                if (distance < bestDistance)
                {
                    best = candidate;
                    bestDistance = distance;
                }
            }

            // A hint farther than half the name is noise.
            return best is not null && bestDistance <= System.Math.Max(2, name.Length / 2) ? best : null;
        }
    }
}
