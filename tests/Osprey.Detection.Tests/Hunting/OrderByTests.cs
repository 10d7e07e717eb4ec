using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class OrderByTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void Default_IsNewestFirst()
    {
        Assert.Equal("\"event_time\" DESC NULLS LAST", _db.Compiler.CompileOrderBy(null));
        Assert.Equal(_db.Compiler.CompileOrderBy("EventTime desc"), _db.Compiler.CompileOrderBy("  "));
        Assert.Equal(["e04", "e03", "e02", "e01", "e05"], _db.MatchSorted("EventId IN ('e01', 'e02', 'e03', 'e04', 'e05')", null));
    }

    [Fact]
    public void Ascending_PutsMissingValuesLast()
    {
        Assert.Equal(["e01", "e02", "e05", "e10"], _db.MatchSorted("EventId IN ('e10', 'e05', 'e02', 'e01')", "Pid asc"));
        Assert.Equal(["e01", "e05"], _db.MatchSorted("EventId IN ('e05', 'e01')", "pid"));
    }

    [Fact]
    public void Descending_PutsMissingValuesLast()
    {
        Assert.Equal(["e09", "e08", "e10"], _db.MatchSorted("Pid > 400 OR FileName = \"100%_report.txt\"", "Pid DESC"));
    }

    [Fact]
    public void TextSort_IgnoresCase()
    {
        // Binary order would put "WEB-02" first.
        Assert.Equal(["e05", "e01", "e02"], _db.MatchSorted("EventId IN ('e01', 'e02', 'e05')", "Host asc"));
        Assert.Equal(["e08", "e02", "e09", "e01"], _db.MatchSorted("UserName != ''", "UserName asc"));
    }

    [Fact]
    public void JsonField_SortsByItsTypedValue()
    {
        Assert.Equal(["e04", "e03"], _db.MatchSorted("EventType = \"ProcessStop\"", "ExitCode desc"));
        Assert.Equal(["e11", "e10", "e05"], _db.MatchSorted("EventType = \"FileCreate\"", "File.Size asc"));
    }

    [Theory]
    [InlineData("EventTime; DROP TABLE events", 0, "expected a field name to sort by")]
    [InlineData("EventTime sideways", 10, "expected asc or desc after the sort field")]
    [InlineData("EventTime desc, Pid", 10, "expected asc or desc after the sort field")]
    [InlineData("EventTime desc extra", 15, "expected the end of the sort")]
    [InlineData("Foo desc", 0, "unknown field 'Foo'")]
    [InlineData("  Parent", 2, "field 'Parent' is a message; compare one of its fields, such as 'Parent.UniquePid'")]
    [InlineData("ResolvedIps", 0, "cannot sort by list field 'ResolvedIps'")]
    [InlineData("1", 0, "expected a field name to sort by")]
    public void InvalidSort_IsRejected(string sort, int position, string reason)
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Compiler.CompileOrderBy(sort));
        Assert.Equal(position, error.Position);
        Assert.Equal(reason, error.Reason);
    }
}
