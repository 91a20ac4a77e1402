using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Generators.Emit;
using LlmDataDist.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators.Tests;

/// <summary>
/// Whatever the spec files contain, parse + build + emit never throw and the generator never reports its internal
/// error (LLMDD0000, the catch at each stage boundary): a half-typed header gives diagnostics, not a broken build.
/// A failure prints FsCheck's seed: paste it as <c>Replay = "…"</c> on the property to rerun exactly that case.
/// </summary>
public class PipelineRobustnessProperties
{
    /// <summary>Fragments that derail a C++ reader: unbalanced brackets, half comments and strings, stray keywords.</summary>
    private static readonly string[] Fragments =
    [
        "{", "}", ";", "<", ">", "::", "template", "#define X", "/*", "*/", "/**", "//", "\"", "'", "(", ")", "[", "]", "=", ",",
        "*", "&", "~", "\n", "\\\n", "#", "class", "struct", "enum", "union", "namespace", "using", "constexpr", "const", "operator",
        "public:", "private:", "0x", "0xFFFFFFFFFFFFFFFFFFFFU", "-", "{}", "= {", "std::vector<", "LlmDataDist", "Status", "中文", "\u0000",
    ];

    private static readonly CSharpCompilation Empty = CSharpCompilation.Create("Empty");

    /// <summary>One edit of the text; positions are taken modulo the text's length when applied, so any int is valid.</summary>
    public sealed record Mutation(string Kind, int At, int Length, int To, string Fragment)
    {
        public string Apply(string text)
        {
            var at = At % (text.Length + 1);
            var length = Math.Min(Length, text.Length - at);
            return Kind switch
            {
                "delete" => text.Remove(at, length),
                "duplicate" => text.Insert(To % (text.Length + 1), text.Substring(at, length)),
                "insert" => text.Insert(at, Fragment),
                _ => text[..at],
            };
        }

        public override string ToString() => Kind switch
        {
            "delete" => $"delete {Length} at {At}",
            "duplicate" => $"duplicate {Length} at {At} to {To}",
            "insert" => $"insert '{Fragment.Replace("\n", "\\n", StringComparison.Ordinal)}' at {At}",
            _ => $"truncate at {At}",
        };
    }

    private static readonly Gen<Mutation> MutationGen =
        from kind in Gen.Frequency((4, Gen.Constant("delete")), (3, Gen.Constant("duplicate")), (6, Gen.Constant("insert")), (1, Gen.Constant("truncate")))
        from at in Gen.Choose(0, int.MaxValue)
        from length in Gen.Choose(0, 400)
        from to in Gen.Choose(0, int.MaxValue)
        from fragment in Gen.Elements(Fragments)
        select new Mutation(kind, at, length, to, fragment);

    private static Arbitrary<Mutation[]> Mutations => Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(MutationGen, n)).ToArbitrary();

    /// <summary>Random text: mostly C++-flavoured characters, sometimes any UTF-16 code unit at all.</summary>
    private static Arbitrary<string> RandomText
    {
        get
        {
            var cppish = Gen.Elements("abcxyz_019 \t\n\r{}[]()<>;:,=&*~#/\\\"'-+.0xU中".ToCharArray());
            var anyChar = Gen.Choose(0, 0xFFFF).Select(c => (char)c);
            var chars = Gen.Frequency((4, cppish), (1, anyChar));
            var text = Gen.Sized(size => Gen.Choose(0, size * 20).SelectMany(n => Gen.ArrayOf(chars, n))).Select(a => new string(a));
            var fragments = Gen.ListOf(Gen.Elements(Fragments)).Select(parts => string.Join(" ", parts));
            return Gen.OneOf(text, fragments).ToArbitrary();
        }
    }

    private static string Apply(string text, IEnumerable<Mutation> mutations) => mutations.Aggregate(text, (t, m) => m.Apply(t));

    /// <summary>Runs the stages directly (no compilation) and through the driver; fails on any throw or internal error.</summary>
    private static void PipelineCopes(string header, string annotations)
    {
        ParsedFile[] files =
        [
            SpecFiles.Parse(GeneratorHarness.HeaderPath, SourceText.From(header)),
            SpecFiles.Parse(GeneratorHarness.AnnotationsPath, SourceText.From(annotations)),
        ];
        Assert.DoesNotContain(files.SelectMany(f => f.Diagnostics), d => d.Id == "LLMDD0000");
        var build = SpecBuilder.Build(files, "LlmDataDist");
        Assert.DoesNotContain(build.Diagnostics, d => d.Id == "LLMDD0000");
        if (build.Spec is { } spec)
        {
            foreach (var unit in CodeUnit.Split(spec))
            {
                Assert.NotEmpty(unit.Emit());
            }
        }

        var run = GeneratorHarness.Driver([new SpecText(GeneratorHarness.HeaderPath, header), new SpecText(GeneratorHarness.AnnotationsPath, annotations)])
            .RunGenerators(Empty).GetRunResult();
        Assert.Null(run.Results.Single().Exception);
        Assert.DoesNotContain(run.Diagnostics, d => d.Id == "LLMDD0000");
    }

    [Property(MaxTest = 300)]
    public Property Mutated_spec_header_never_breaks_the_pipeline() =>
        Prop.ForAll(Mutations, mutations => PipelineCopes(Apply(GeneratorHarness.SpecHeader, mutations), GeneratorHarness.SpecAnnotations));

    [Property(MaxTest = 150)]
    public Property Mutated_annotations_never_break_the_pipeline() =>
        Prop.ForAll(Mutations, mutations => PipelineCopes(GeneratorHarness.SpecHeader, Apply(GeneratorHarness.SpecAnnotations, mutations)));

    [Property(MaxTest = 200)]
    public Property Random_text_as_header_or_annotations_never_breaks_the_pipeline() =>
        Prop.ForAll(RandomText, RandomText, (header, annotations) =>
        {
            PipelineCopes(header, GeneratorHarness.SpecAnnotations);
            PipelineCopes(GeneratorHarness.SpecHeader, annotations);
            PipelineCopes(header, annotations);
        });

    [Fact]
    public void Mutations_change_the_text_they_are_given()
    {
        // Guards the generator of the properties above: each kind of edit really edits.
        const string text = "struct A { int x; };";

        Assert.Equal("struct A { int ", new Mutation("truncate", 15, 0, 0, "").Apply(text));
        Assert.Equal("struct { int x; };", new Mutation("delete", 7, 2, 0, "").Apply(text));
        Assert.Equal("struct A { int x; };A {", new Mutation("duplicate", 7, 3, text.Length, "").Apply(text));
        Assert.Equal("template struct A { int x; };", new Mutation("insert", 0, 0, 0, "template ").Apply(text));
    }
}
