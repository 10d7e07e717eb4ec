using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Files with several YAML documents: plain multi-rule files, Sigma 1 collections (action: global, reset, repeat), correlations.</summary>
public sealed class SigmaCollectionTests
{
    private static IReadOnlyList<SigmaCompileResult> Compile(string yaml) => new SigmaCompiler().Compile(yaml, "collection.yml");

    [Fact]
    public void EveryDocument_IsARule_WithItsIndex()
    {
        var results = Compile("""
            title: First
            logsource: {category: process_creation, product: linux}
            detection: {selection: {Image|endswith: '/curl'}, condition: selection}
            ---
            title: Second
            logsource: {category: process_creation, product: linux}
            detection: {selection: {Image|endswith: '/wget'}, condition: selection}
            ---
            title: Broken
            logsource: {category: process_creation, product: linux}
            detection: {selection: {Image|nope: '/wget'}, condition: selection}
            """);
        Assert.Equal(["First", "Second", "Broken"], results.Select(r => r.Rule?.Title ?? "Broken"));
        Assert.Equal([0, 1, 2], results.Select(r => r.Document));
        Assert.Equal([SigmaCompileStatus.Compiled, SigmaCompileStatus.Compiled, SigmaCompileStatus.Invalid], results.Select(r => r.Status));
        Assert.Contains("(document 3)", results[2].Message, StringComparison.Ordinal);
        Assert.True(new SigmaEngine([results[1].Compiled!]).Evaluate(Exec("/usr/bin/wget", ["wget"])).Count == 1);
    }

    [Fact]
    public void GlobalActions_AreMergedIntoTheRulesThatFollow_UntilReset()
    {
        var results = Compile("""
            action: global
            title: Downloaders
            logsource:
                category: process_creation
                product: linux
            detection:
                condition: selection
            level: high
            ---
            detection:
                selection:
                    Image|endswith: '/curl'
            ---
            title: Wget
            detection:
                selection:
                    Image|endswith: '/wget'
            ---
            action: repeat
            detection:
                selection:
                    Image|endswith: '/fetch'
            ---
            action: reset
            ---
            title: Alone
            logsource:
                category: process_creation
            detection:
                selection:
                    Image|endswith: '/nc'
                condition: selection
            """);
        Assert.Equal(4, results.Count);
        Assert.All(results, r => Assert.Equal(SigmaCompileStatus.Compiled, r.Status));
        Assert.Equal(["Downloaders", "Wget", "Wget", "Alone"], results.Select(r => r.Rule!.Title));
        Assert.Equal([SigmaLevel.High, SigmaLevel.High, SigmaLevel.High, SigmaLevel.None], results.Select(r => r.Rule!.Level));
        Assert.Single(new SigmaEngine([results[2].Compiled!]).Evaluate(Exec("/usr/bin/fetch", ["fetch"])));
        Assert.Empty(new SigmaEngine([results[2].Compiled!]).Evaluate(Exec("/usr/bin/wget", ["wget"])));
    }

    [Fact]
    public void Correlations_AndTheRulesTheyBuildOn_AreUnsupported()
    {
        var results = Compile("""
            title: Many failed logins
            correlation:
                type: event_count
                rules:
                    - failed_login
                group-by:
                    - User
                timespan: 10m
                condition:
                    gte: 10
            ---
            title: Failed login
            name: failed_login
            logsource: {category: process_creation, product: linux}
            detection: {selection: {Image|endswith: '/su'}, condition: selection}
            """);
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(SigmaCompileStatus.Unsupported, r.Status));
        Assert.Contains("correlation rules (event_count)", results[0].Reason, StringComparison.Ordinal);
        Assert.Contains("part of the correlation 'Many failed logins'", results[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RepeatWithoutARule_AndUnknownActions_AreInvalid()
    {
        var results = Compile("action: repeat\ntitle: x\n---\naction: explode\ntitle: y\n");
        Assert.Equal([SigmaCompileStatus.Invalid, SigmaCompileStatus.Invalid], results.Select(r => r.Status));
        Assert.Contains("'action: repeat' with no rule before it", results[0].Reason, StringComparison.Ordinal);
        Assert.Contains("unknown action 'explode'", results[1].Reason, StringComparison.Ordinal);
    }
}
