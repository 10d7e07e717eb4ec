using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Writes small rules around a detection section, compiles them and evaluates events against them.</summary>
internal static class SigmaTestRules
{
    public const string ProcessCreation = "category: process_creation\n    product: linux";

    /// <summary>A whole rule with <paramref name="detection"/> (its lines indented by four spaces) under <paramref name="logSource"/>.</summary>
    public static string Yaml(string detection, string logSource = ProcessCreation) => $"""
        title: Test rule
        id: 00000000-0000-4000-8000-000000000001
        status: test
        level: high
        tags:
            - attack.execution
            - attack.t1059.004
        logsource:
            {logSource}
        detection:
        {Indent(detection)}
        """;

    public static SigmaCompileResult CompileResult(string yaml, string source = "test.yml") => Assert.Single(new SigmaCompiler().Compile(yaml, source));

    public static CompiledSigmaRule Compile(string detection, string logSource = ProcessCreation)
    {
        var result = CompileResult(Yaml(detection, logSource));
        Assert.True(result.Status == SigmaCompileStatus.Compiled, result.Message);
        return result.Compiled!;
    }

    public static bool Matches(CompiledSigmaRule rule, Event e) => new SigmaEngine([rule]).Evaluate(e).Count > 0;

    public static bool Matches(string detection, Event e, string logSource = ProcessCreation) => Matches(Compile(detection, logSource), e);

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(line => line.Length == 0 ? line : "    " + line));
}
