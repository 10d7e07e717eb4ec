using Osprey.Detection.Hunting;
using Xunit;
using static Osprey.Detection.Tests.Hunting.SampleEvents;

namespace Osprey.Detection.Tests.Hunting;

public sealed class IntegerAndTimeTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void IntegerField_AcceptsAQuotedInteger()
    {
        Assert.Equal(["e01", "e03"], _db.Match("Pid = \"101\""));
        Assert.Equal(["e06"], _db.Match("RemotePort = '443'"));
    }

    [Fact]
    public void IntegerField_AcceptsNegativeIntegers()
    {
        Assert.Equal(AllExcept("e10", "e11"), _db.Match("Pid > -1"));
        Assert.Empty(_db.Match("Pid = -101"));
    }

    [Fact]
    public void Sequence_ComparesAsInteger()
    {
        // As text, "10" and "11" would sort before "2".
        Assert.Equal(["e10", "e11"], _db.Match("Sequence > 9"));
        Assert.Equal(["e01", "e02"], _db.Match("Sequence IN (1, 2)"));
    }

    [Fact]
    public void IntegerField_RejectsNonIntegerString()
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Match("Pid = \"abc\""));
        Assert.Equal(6, error.Position);
        Assert.Equal("expected an integer for integer field 'Pid' at position 6: found \"abc\"", error.Message);
    }

    [Theory]
    [InlineData("Pid CONTAINS \"1\"", 4, "CONTAINS cannot be used on integer field 'Pid'")]
    [InlineData("Pid NOT STARTS \"1\"", 4, "NOT STARTS cannot be used on integer field 'Pid'")]
    [InlineData("RemotePort !ENDS \"3\"", 11, "NOT ENDS cannot be used on integer field 'RemotePort'")]
    [InlineData("EventTime CONTAINS \"2026\"", 10, "CONTAINS cannot be used on time field 'EventTime'")]
    [InlineData("CommandLine > \"a\"", 12, "> cannot be used on text field 'CommandLine'")]
    [InlineData("Host <= 5", 5, "<= cannot be used on text field 'Host'")]
    public void OperatorOfTheWrongType_IsRejectedAtTheOperator(string query, int position, string reason)
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Match(query));
        Assert.Equal(position, error.Position);
        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void Time_ComparesWithIsoDateTimes()
    {
        Assert.Equal(["e02", "e06", "e07"], _db.Match("EventTime >= \"2026-11-21T11:00:00Z\" AND EventTime < \"2026-11-21T12:00:00Z\""));
    }

    [Fact]
    public void Time_DateOnly_IsMidnightUtc()
    {
        Assert.Equal(["e05"], _db.Match("EventTime < \"2026-11-21\""));
        Assert.Equal(["e04"], _db.Match("EventTime >= \"2026-11-22\""));
    }

    [Theory]
    [InlineData("2026-11-21T10:00:00Z")]
    [InlineData("2026-11-21T10:00Z")]
    [InlineData("2026-11-21T10:00:00")]
    [InlineData("2026-11-21 10:00:00")]
    [InlineData("2026-11-21T12:00:00+02:00")]
    [InlineData("2026-11-21T05:00:00.000-05:00")]
    [InlineData("2026-11-21T10:00:00.0000000Z")]
    public void Time_AcceptsIsoForms(string time) =>
        Assert.Equal(["e01"], _db.Match($"EventTime = \"{time}\""));

    [Fact]
    public void Time_FractionalSeconds_AreMicrosecondPrecise()
    {
        Assert.Equal(["e01"], _db.Match("EventTime > \"2026-11-21T09:59:59.999999Z\" AND EventTime < \"2026-11-21T10:00:00.000001Z\""));
        Assert.Empty(_db.Match("EventTime = \"2026-11-21T10:00:00.000001Z\""));
    }

    [Fact]
    public void Time_IntegerLiteral_IsUnixMicroseconds()
    {
        var us = Us("2026-11-21T10:00:00Z");
        Assert.Equal(["e01"], _db.Match($"EventTime = {us}"));
        Assert.Equal(["e05"], _db.Match($"EventTime < {us - 1}"));
    }

    [Fact]
    public void Time_In_AcceptsIsoAndMicroseconds()
    {
        Assert.Equal(["e01", "e05"], _db.Match($"EventTime IN (\"2026-11-21T10:00:00Z\", {Us("2026-11-20T09:00:00Z")})"));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-01")]
    [InlineData("2026-11-21T25:00:00Z")]
    [InlineData("21/11/2026")]
    [InlineData("1795255200000000")]
    [InlineData("")]
    public void Time_RejectsNonIsoStrings(string time)
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Match($"EventTime > \"{time}\""));
        Assert.Equal(12, error.Position);
        Assert.StartsWith("expected an ISO-8601 date/time for time field 'EventTime' at position 12", error.Message, StringComparison.Ordinal);
    }
}
