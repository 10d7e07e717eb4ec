using Xunit;
using static Osprey.Detection.Tests.Hunting.SampleEvents;

namespace Osprey.Detection.Tests.Hunting;

public sealed class PrecedenceTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void SpecExample_MatchesTheCurlProcess()
    {
        Assert.Equal(["e01"], _db.Match("EventType = \"ProcessStart\" AND (CommandLine CONTAINS \"curl\" OR FileName ENDS \".sh\")"));
    }

    [Fact]
    public void And_BindsTighterThanOr()
    {
        Assert.Equal(["e01", "e05"], _db.Match("EventType = \"ProcessStart\" AND CommandLine CONTAINS \"curl\" OR FileName ENDS \".sh\""));
        Assert.Equal(["e02", "e05", "e06", "e07", "e10", "e11"], _db.Match("Host = \"db-01\" OR Host = \"web-02\" AND Pid = 202"));
        Assert.Equal(["e05", "e10", "e11"], _db.Match("Host = \"web-02\" AND Pid = 1 OR Host = \"db-01\""));
    }

    [Fact]
    public void Parentheses_OverridePrecedence()
    {
        Assert.Equal(["e02", "e06", "e07"], _db.Match("(Host = \"db-01\" OR Host = \"web-02\") AND Pid = 202"));
        Assert.Empty(_db.Match("Host = \"web-02\" AND (Pid = 1 OR Host = \"db-01\")"));
    }

    [Fact]
    public void Not_BindsTighterThanAnd()
    {
        Assert.Equal(["e03", "e04"], _db.Match("NOT EventType = \"ProcessStart\" AND Host = \"web-01\""));
        Assert.Equal(AllExcept("e01", "e08", "e09"), _db.Match("NOT (EventType = \"ProcessStart\" AND Host = \"web-01\")"));
    }

    [Fact]
    public void Not_BindsTighterThanOr()
    {
        Assert.Equal(AllExcept("e01", "e02", "e08", "e09").Append("e01").Order(StringComparer.Ordinal),
            _db.Match("NOT EventType = \"ProcessStart\" OR Pid = 101"));
        Assert.Equal(AllExcept("e01", "e02", "e03", "e08", "e09"), _db.Match("NOT (EventType = \"ProcessStart\" OR Pid = 101)"));
    }

    [Fact]
    public void DoubleNot_CancelsOut()
    {
        Assert.Equal(["e05", "e10", "e11"], _db.Match("NOT NOT Host = \"db-01\""));
        Assert.Equal(["e01"], _db.Match("NOT CommandLine NOT CONTAINS \"curl\""));
    }

    [Fact]
    public void OrChains_AreLeftToRight()
    {
        Assert.Equal(["e01", "e02", "e05"], _db.Match("Pid = 101 AND EventType = \"ProcessStart\" OR Pid = 202 AND EventType = \"ProcessStart\" OR Pid = 303"));
    }

    [Fact]
    public void NestedParentheses_Work()
    {
        Assert.Equal(["e01"], _db.Match("((((Host = \"web-01\")) AND ((Pid = 101 AND (EventType = \"ProcessStart\")))))"));
    }

    [Theory]
    [InlineData("eventtype = \"ProcessStart\" and (commandline contains \"curl\" Or filename EnDs \".sh\")")]
    [InlineData("EVENTTYPE = \"processstart\" AND (COMMANDLINE CONTAINS \"CURL\" OR FILENAME ENDS \".SH\")")]
    [InlineData("event_type = \"ProcessStart\" aNd (command_line cOnTaInS \"curl\" oR file_name ends \".sh\")")]
    public void KeywordsAndFieldNames_AreCaseInsensitive(string query) =>
        Assert.Equal(["e01"], _db.Match(query));

    [Theory]
    [InlineData("not Host = \"db-01\"", new[] { "e01", "e02", "e03", "e04", "e06", "e07", "e08", "e09" })]
    [InlineData("Pid in (101, 303)", new[] { "e01", "e03", "e05" })]
    [InlineData("Pid Not In (101, 303)", new[] { "e02", "e04", "e06", "e07", "e08", "e09", "e10", "e11" })]
    [InlineData("ProcessPath starts \"/usr\" and FileName not ends \"x\"", new[] { "e01", "e02" })]
    public void LowerCaseKeywords_Work(string query, string[] expected) =>
        Assert.Equal(expected, _db.Match(query));
}
