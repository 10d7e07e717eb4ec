using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;
using static Osprey.Detection.Tests.Sigma.SigmaTestRules;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Each condition form, with events that satisfy it and events that do not; precedence as the specification orders it.</summary>
public sealed class SigmaConditionTests
{
    /// <summary>Three searches on the program name: sel_a (a), sel_b (b), filter_c (c), and _hidden (h).</summary>
    private const string Searches = """
        sel_a:
            CommandLine|contains: ' a '
        sel_b:
            CommandLine|contains: ' b '
        filter_c:
            CommandLine|contains: ' c '
        _hidden:
            CommandLine|contains: ' h '
        """;

    /// <summary>A process whose command line contains the given one-letter words.</summary>
    private static Event With(string words) => Exec("/usr/bin/tool", ["tool", .. words.Select(c => c.ToString()), "end"]);

    private static bool Holds(string condition, string words) => Matches(Compile(Searches + "\ncondition: " + condition), With(words));

    [Theory]
    [InlineData("sel_a", "a", true)]
    [InlineData("sel_a", "b", false)]
    [InlineData("sel_a and sel_b", "ab", true)]
    [InlineData("sel_a and sel_b", "a", false)]
    [InlineData("sel_a or sel_b", "b", true)]
    [InlineData("sel_a or sel_b", "c", false)]
    [InlineData("not sel_a", "b", true)]
    [InlineData("not sel_a", "a", false)]
    [InlineData("sel_a and not filter_c", "a", true)]
    [InlineData("sel_a and not filter_c", "ac", false)]
    [InlineData("(sel_a or sel_b) and filter_c", "bc", true)]
    [InlineData("(sel_a or sel_b) and filter_c", "b", false)]
    [InlineData("sel_a AND NOT filter_c", "a", true)]
    public void Operators(string condition, string words, bool expected) => Assert.Equal(expected, Holds(condition, words));

    [Theory]
    [InlineData("sel_a or sel_b and filter_c", "a", true)]
    [InlineData("sel_a or sel_b and filter_c", "b", false)]
    [InlineData("(sel_a or sel_b) and filter_c", "a", false)]
    [InlineData("not sel_a and sel_b", "b", true)]
    [InlineData("not sel_a and sel_b", "ab", false)]
    [InlineData("not (sel_a and sel_b)", "a", true)]
    [InlineData("not (sel_a and sel_b)", "ab", false)]
    [InlineData("not 1 of sel_* and filter_c", "c", true)]
    [InlineData("not 1 of sel_* and filter_c", "bc", false)]
    [InlineData("not not sel_a", "a", true)]
    public void Precedence_OrThenAndThenNotThenOf(string condition, string words, bool expected) => Assert.Equal(expected, Holds(condition, words));

    [Theory]
    [InlineData("1 of sel_*", "b", true)]
    [InlineData("1 of sel_*", "c", false)]
    [InlineData("any of sel_*", "a", true)]
    [InlineData("all of sel_*", "ab", true)]
    [InlineData("all of sel_*", "a", false)]
    [InlineData("1 of them", "c", true)]
    [InlineData("1 of them", "h", false)]
    [InlineData("all of them", "abc", true)]
    [InlineData("all of them", "ab", false)]
    [InlineData("1 of _hid*", "h", true)]
    [InlineData("1 of *_c", "c", true)]
    [InlineData("1 of *_c", "a", false)]
    [InlineData("2 of them", "ac", true)]
    [InlineData("2 of them", "a", false)]
    [InlineData("1 of sel_* and not 1 of filter*", "a", true)]
    [InlineData("1 of sel_* and not 1 of filter*", "ac", false)]
    public void Quantifiers(string condition, string words, bool expected) => Assert.Equal(expected, Holds(condition, words));

    [Fact]
    public void AListOfConditions_IsLinkedByOr()
    {
        var rule = Compile(Searches + "\ncondition:\n    - sel_a and filter_c\n    - sel_b");
        Assert.True(Matches(rule, With("ac")));
        Assert.True(Matches(rule, With("b")));
        Assert.False(Matches(rule, With("a")));
    }

    [Fact]
    public void AListOfMaps_IsLinkedByOr_AndAMapByAnd()
    {
        var rule = Compile("selection:\n    - Image|endswith: '/curl'\n      CommandLine|contains: ' -o '\n    - Image|endswith: '/wget'\ncondition: selection");
        Assert.True(Matches(rule, Exec("/usr/bin/curl", ["curl", "-o", "x", "http://a"])));
        Assert.True(Matches(rule, Exec("/usr/bin/wget", ["wget", "http://a"])));
        Assert.False(Matches(rule, Exec("/usr/bin/curl", ["curl", "http://a"])));
    }

    [Fact]
    public void AMatch_NamesTheSearchesThatHeld()
    {
        var rule = Compile(Searches + "\ncondition: 1 of sel_* and not filter_c");
        var match = Assert.Single(new SigmaEngine([rule]).Evaluate(With("ab")));
        Assert.Equal(["sel_a", "sel_b"], match.Selections.Order(StringComparer.Ordinal));
        Assert.Equal("process_creation", match.RecordKind);
        Assert.Same(rule, match.Rule);
    }
}
