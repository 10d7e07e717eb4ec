using Xunit;
using static Osprey.Detection.Tests.Hunting.SampleEvents;

namespace Osprey.Detection.Tests.Hunting;

public sealed class OperatorTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Equal_MatchesCaseInsensitively()
    {
        Assert.Equal(["e01", "e03", "e04", "e08", "e09"], _db.Match("Host = \"WEB-01\""));
        Assert.Equal(["e02", "e06", "e07"], _db.Match("Host = \"web-02\""));
    }

    [Fact]
    public void NotEqual_IsTheComplement_IncludingRowsWithoutTheValue()
    {
        Assert.Equal(["e01"], _db.Match("UserName = \"ROOT\""));
        Assert.Equal(AllExcept("e01"), _db.Match("UserName != \"root\""));
    }

    [Fact]
    public void Contains_MatchesSubstringCaseInsensitively()
    {
        Assert.Equal(["e01"], _db.Match("CommandLine CONTAINS \"CURL\""));
        Assert.Equal(["e01", "e02"], _db.Match("ProcessPath CONTAINS \"usr/bin\""));
    }

    [Fact]
    public void NotContains_MatchesNullAndEmptyCommandLines()
    {
        // e03 has a NULL command line and e04 an empty one: an EDR user expects both to "not contain curl".
        Assert.Equal(AllExcept("e01"), _db.Match("CommandLine NOT CONTAINS \"curl\""));
        Assert.Contains("e03", _db.Match("CommandLine NOT CONTAINS \"curl\""));
        Assert.Contains("e04", _db.Match("CommandLine NOT CONTAINS \"curl\""));
    }

    [Theory]
    [InlineData("CommandLine !CONTAINS \"curl\"")]
    [InlineData("NOT CommandLine CONTAINS \"curl\"")]
    [InlineData("NOT (CommandLine CONTAINS \"curl\")")]
    public void NotContains_AlternativeSpellings_AreEquivalent(string query) =>
        Assert.Equal(AllExcept("e01"), _db.Match(query));

    [Fact]
    public void Starts_MatchesPrefixOnly()
    {
        Assert.Equal(["e01", "e02"], _db.Match("ProcessPath STARTS \"/USR/bin/\""));
        Assert.Empty(_db.Match("ProcessPath STARTS \"bin/\""));
    }

    [Fact]
    public void NotStarts_IsTheComplement()
    {
        Assert.Equal(AllExcept("e01", "e02"), _db.Match("ProcessPath NOT STARTS \"/usr/bin/\""));
        Assert.Equal(AllExcept("e01", "e02"), _db.Match("ProcessPath !STARTS \"/usr/bin/\""));
    }

    [Fact]
    public void Ends_MatchesSuffixOnly()
    {
        Assert.Equal(["e05"], _db.Match("FileName ENDS \".SH\""));
        Assert.Empty(_db.Match("FileName ENDS \"run\""));
    }

    [Fact]
    public void NotEnds_IsTheComplement()
    {
        Assert.Equal(AllExcept("e05"), _db.Match("FileName NOT ENDS \".sh\""));
        Assert.Equal(AllExcept("e05"), _db.Match("FileName !ENDS \".sh\""));
    }

    [Fact]
    public void OrderingOperators_CompareIntegers()
    {
        Assert.Equal(["e05", "e08", "e09"], _db.Match("Pid > 202"));
        Assert.Equal(["e02", "e04", "e05", "e06", "e07", "e08", "e09"], _db.Match("Pid >= 202"));
        Assert.Equal(["e01", "e03"], _db.Match("Pid < 202"));
        Assert.Equal(["e01", "e03"], _db.Match("Pid <= 101"));
    }

    [Fact]
    public void NegatedOrdering_IncludesRowsWithoutTheValue()
    {
        // e10 and e11 have no pid: no ordering holds for them, so the complement includes them.
        Assert.Equal(["e01", "e02", "e03", "e04", "e06", "e07", "e10", "e11"], _db.Match("NOT Pid > 202"));
        Assert.Equal(["e10", "e11"], _db.Match("NOT Pid > 0"));
    }

    [Fact]
    public void Equal_OnInteger()
    {
        Assert.Equal(["e06"], _db.Match("RemotePort = 443"));
        Assert.Equal(AllExcept("e06"), _db.Match("RemotePort != 443"));
    }

    [Fact]
    public void EqualEmpty_MatchesNullAndEmpty()
    {
        Assert.Equal(["e03", "e04", "e05", "e06", "e07", "e10", "e11"], _db.Match("CommandLine = \"\""));
        Assert.Equal(["e01", "e02", "e08", "e09"], _db.Match("CommandLine != \"\""));
    }

    [Theory]
    [InlineData("CommandLine CONTAINS \"\"")]
    [InlineData("CommandLine STARTS ''")]
    [InlineData("CommandLine ENDS \"\"")]
    public void TextMatchOfEmpty_MatchesEverything(string query) =>
        Assert.Equal(AllIds, _db.Match(query));

    [Theory]
    [InlineData("CommandLine NOT CONTAINS \"\"")]
    [InlineData("CommandLine NOT STARTS ''")]
    [InlineData("CommandLine NOT ENDS \"\"")]
    public void NegatedTextMatchOfEmpty_MatchesNothing(string query) =>
        Assert.Empty(_db.Match(query));

    [Theory]
    [InlineData("CommandLine", "\"curl\"")]
    [InlineData("Host", "\"web-01\"")]
    [InlineData("Pid", "202")]
    [InlineData("ProcessPath", "\"/usr/bin/\"")]
    public void EveryNegation_PartitionsTheTable(string field, string value)
    {
        var pairs = new (string Positive, string Negative)[]
        {
            ("=", "!="), ("CONTAINS", "NOT CONTAINS"), ("STARTS", "NOT STARTS"), ("ENDS", "NOT ENDS"), ("IN", "NOT IN"),
            (">", "<="), ("<", ">="),
        };
        foreach (var (positive, negative) in pairs)
        {
            var isInteger = field == "Pid";
            if (isInteger ? positive is "CONTAINS" or "STARTS" or "ENDS" : positive is ">" or "<")
            {
                continue;
            }

            var operand = positive == "IN" ? $"({value})" : value;
            var yes = _db.Match($"{field} {positive} {operand}");
            var no = positive is ">" or "<"
                ? _db.Match($"NOT {field} {positive} {operand}")
                : _db.Match($"{field} {negative} {operand}");
            Assert.Empty(yes.Intersect(no));
            Assert.Equal(AllIds, yes.Concat(no).Order(StringComparer.Ordinal).ToArray());
        }
    }
}
