using System.Globalization;
using System.Linq;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Emit
{
    /// <summary>An enum per C++ enum; a data-type enum also gets its element sizes.</summary>
    internal static class EnumEmitter
    {
        public static string Emit(EnumSpec spec, string ns)
        {
            var w = new CodeWriter();
            w.Line("namespace " + ns + ";").Line();
            w.Summary(spec.Summary);
            w.Line("/// <remarks>C++: <c>" + CodeWriter.Xml(spec.NativeName) + "</c>.</remarks>");
            w.Open("public enum " + spec.ManagedName + " : " + spec.Underlying);
            foreach (var member in spec.Members)
            {
                w.Summary(member.Summary + (spec.HasSizes ? " " + SizeText(member) : string.Empty));
                w.Line(member.ManagedName + " = " + member.Value.ToString(CultureInfo.InvariantCulture) + ",");
            }

            w.Close();
            if (spec.HasSizes)
            {
                Sizes(w, spec);
            }

            return w.ToString();
        }

        private static string SizeText(EnumMemberSpec member) =>
            member.Bits == 0 ? "No element size." : (member.Bits % 8 == 0 ? (member.Bits / 8).ToString(CultureInfo.InvariantCulture) + " byte(s) per element." : member.Bits.ToString(CultureInfo.InvariantCulture) + " bit(s) per element.");

        private static void Sizes(CodeWriter w, EnumSpec spec)
        {
            var name = spec.ManagedName;
            w.Line();
            w.Summary("Element sizes of " + name + ", as the library sizes tensors.");
            w.Open("public static class " + name + "Sizes");
            w.Summary("Bits per element, or 0 when the type has no size (undefined or unknown values).");
            w.Open("public static int GetElementBits(this " + name + " dataType) => dataType switch");
            foreach (var member in spec.Members.Where(m => m.Bits > 0))
            {
                w.Line(name + "." + member.ManagedName + " => " + member.Bits.ToString(CultureInfo.InvariantCulture) + ",");
            }

            w.Line("_ => 0,");
            w.Close(";");
            w.Line();
            w.Summary("Whether device allocation (CE AllocateCache) can size this type; host-side sizing takes every type with a size.");
            w.Open("public static bool IsDeviceAllocatable(this " + name + " dataType) => dataType switch");
            var device = spec.Members.Where(m => m.DeviceAllocatable).ToList();
            if (device.Count > 0)
            {
                w.Line(string.Join(" or ", device.Select(m => name + "." + m.ManagedName)) + " => true,");
            }

            w.Line("_ => false,");
            w.Close(";");
            w.Close();
        }
    }
}
