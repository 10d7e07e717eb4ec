using Osprey.Detection.Yara;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Xunit;

namespace Osprey.Detection.Tests.Yara;

public sealed class YaraCompilerTests
{
    [Fact]
    public void Check_SyntaxError_NamesFileAndLine()
    {
        var check = YaraCompiler.Check(new YaraSource("broken.yar", "rule good { condition: true }\n\nrule bad {\n  strings: $a = \"x\"\n  condition: $a and\n}\n"));

        Assert.False(check.Compiled);
        var error = Assert.Single(check.Errors);
        Assert.Equal("broken.yar", error.File);
        Assert.Equal(6, error.Line);
        Assert.Contains("syntax error", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("broken.yar:6: ", check.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UndefinedIdentifier_IsAnErrorAtItsLine()
    {
        var check = YaraCompiler.Check(new YaraSource("undefined.yar", "rule r\n{\n  condition:\n    no_such_thing\n}\n"));

        var error = Assert.Single(check.Errors);
        Assert.Equal(4, error.Line);
        Assert.Contains("no_such_thing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_Error_NamesTheLineTheYaraCommandNames()
    {
        using var dir = new TempDirectory("osprey-yara");
        const string text = "rule ok { condition: true }\n\nrule broken\n{\n  condition:\n    $missing\n}\n";
        var path = Path.Combine(dir.Path, "broken.yar");
        await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);

        var cli = await CommandRunner.RunAsync("yara", [path, "/dev/null"], cancellationToken: TestContext.Current.CancellationToken);
        var check = YaraCompiler.Check(new YaraSource("broken.yar", text));

        Assert.NotEqual(0, cli.ExitCode);
        var error = Assert.Single(check.Errors);
        Assert.Contains($"in {path}({error.Line}): {error.Message}", cli.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SlowString_CompilesWithTheWarningKept()
    {
        var check = YaraCompiler.Check(new YaraSource("slow.yar", "rule slow\n{\n  strings:\n    $a = { 00 ?? }\n  condition:\n    $a\n}\n"));

        Assert.True(check.Compiled);
        var warning = Assert.Single(check.Warnings);
        Assert.True(warning.IsWarning);
        Assert.Equal(4, warning.Line);
        Assert.Contains("slow", warning.Message, StringComparison.Ordinal);
        Assert.Equal(["slow"], check.Rules);
    }

    [Fact]
    public void Check_Include_IsRefused()
    {
        var check = YaraCompiler.Check(new YaraSource("include.yar", "include \"/etc/passwd\"\nrule r { condition: true }\n"));

        Assert.False(check.Compiled);
        Assert.Equal(1, Assert.Single(check.Errors).Line);
    }

    [Fact]
    public void Check_NulCharacter_IsRejectedBeforeLibyara()
    {
        var check = YaraCompiler.Check(new YaraSource("binary.yar", "rule r { condition: true }\n\0garbage"));

        Assert.Equal(2, Assert.Single(check.Errors).Line);
    }

    [Fact]
    public void Check_ExternalVariables_AreDefined()
    {
        var check = YaraCompiler.Check(new YaraSource("externals.yar",
            "rule ext { condition: filename == \"x\" and filepath contains \"/\" and extension == \".sh\" and filetype == \"ELF\" and owner == \"root\" }"));

        Assert.True(check.Compiled, check.Reason);
    }

    [Fact]
    public void Compile_BadFileAmongGoodOnes_BuildsTheGoodOnesAndReportsTheBad()
    {
        var (rules, files) = YaraCompiler.Compile(
        [
            new YaraSource("a.yar", "rule same_name { condition: true }"),
            new YaraSource("b.yar", "rule same_name { condition: false }"),
            new YaraSource("c.yar", "rule broken { condition: }"),
        ]);
        using var built = rules;

        Assert.NotNull(built);
        Assert.Equal(2, built.RuleCount);
        Assert.Equal(["a.yar", "b.yar"], built.Sources);
        Assert.Equal([true, true, false], files.Select(f => f.Compiled));
        Assert.Equal("c.yar", files[2].Errors[0].File);
    }

    [Fact]
    public void Build_AnyBadFile_ThrowsWithEveryError()
    {
        var e = Assert.Throws<YaraCompileException>(() => YaraCompiler.Build([new YaraSource("ok.yar", "rule ok { condition: true }"), new YaraSource("bad.yar", "rule {")]));

        Assert.Equal("bad.yar", Assert.Single(e.Errors).File);
    }

    [Fact]
    public void Compile_EveryLinuxCorpusFile_Compiles()
    {
        var sources = YaraCorpus.Sources(YaraCorpus.LinuxRuleFiles());

        var (rules, files) = YaraCompiler.Compile(sources);
        using var built = rules;

        Assert.All(files, f => Assert.True(f.Compiled, f.Reason));
        Assert.True(built!.RuleCount > 900, $"{built.RuleCount} rules");
    }
}
