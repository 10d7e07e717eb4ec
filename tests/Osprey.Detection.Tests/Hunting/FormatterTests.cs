using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class FormatterTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    public static TheoryData<string, string> Canonical => new()
    {
        { "eventtype = 'ProcessStart' and (commandline contains \"curl\" or filename ends '.sh')", "eventtype = \"ProcessStart\" AND (commandline CONTAINS \"curl\" OR filename ENDS \".sh\")" },
        { "((Pid = 1))", "Pid = 1" },
        { "a = 1 OR (b = 2 OR c = 3)", "a = 1 OR b = 2 OR c = 3" },
        { "(a = 1 AND b = 2) OR c = 3", "a = 1 AND b = 2 OR c = 3" },
        { "NOT (a = 1 OR b = 2) AND NOT NOT c != 3", "NOT (a = 1 OR b = 2) AND NOT NOT c != 3" },
        { "x !contains 'a\"b' AND y NOT STARTS \"\\\\\" AND z !ENDS \"\\n\\t\\r\"", "x NOT CONTAINS \"a\\\"b\" AND y NOT STARTS \"\\\\\" AND z NOT ENDS \"\\n\\t\\r\"" },
        { "p in (1,-2,'3') and q !in (\"a\")", "p IN (1, -2, \"3\") AND q NOT IN (\"a\")" },
        { "t >= 1 AND t <= 2 AND t > 3 AND t < 4", "t >= 1 AND t <= 2 AND t > 3 AND t < 4" },
    };

    [Theory]
    [MemberData(nameof(Canonical))]
    public void Format_WritesCanonicalText(string query, string expected) =>
        Assert.Equal(expected, HuntingQueryFormatter.Format(HuntingQueryParser.Parse(query)));

    [Theory]
    [InlineData("EventType = \"ProcessStart\" AND (CommandLine CONTAINS \"curl\" OR FileName ENDS \".sh\")")]
    [InlineData("NOT (Host = 'db-01' OR Pid IN (303, 404)) AND NOT CommandLine NOT CONTAINS \"\\\"\"")]
    [InlineData("(ExitCode = 0 OR Parent.Pid = 0) AND (EventTime < \"2026-11-21T13:00:00Z\" OR ResolvedIps STARTS '198.')")]
    [InlineData("UserName = \"' OR 1=1 --\" OR ProcessPath ENDS '\\\\cmd.exe' OR FileName CONTAINS \"%_\"")]
    public void Format_RoundTripsToTheSameMatches(string query)
    {
        var formatted = HuntingQueryFormatter.Format(HuntingQueryParser.Parse(query));
        Assert.Equal(formatted, HuntingQueryFormatter.Format(HuntingQueryParser.Parse(formatted)));
        Assert.Equal(_db.Match(query), _db.Match(formatted));
        Assert.NotEmpty(_db.Match(query));
    }

    [Fact]
    public void Format_OfTheDeepestQuery_StaysWithinTheLimits()
    {
        var query = string.Concat(Enumerable.Repeat("NOT (a = 1 OR ", 32)) + "b = 2" + new string(')', 32);
        var formatted = HuntingQueryFormatter.Format(HuntingQueryParser.Parse(query));
        Assert.Equal(query, formatted);
    }
}
