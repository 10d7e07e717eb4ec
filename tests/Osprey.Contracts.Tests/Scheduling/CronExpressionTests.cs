using Xunit;
using Osprey.Contracts.Scheduling;

namespace Osprey.Contracts.Tests.Scheduling;

public sealed class CronExpressionTests
{
    [Theory]
    [InlineData("*/15 * * * *", "2026-11-22 10:07", "2026-11-22 10:15")]
    [InlineData("0 3 * * *", "2026-11-22 03:00", "2026-11-23 03:00")]
    [InlineData("30 8 1 jan *", "2026-11-22 00:00", "2027-01-01 08:30")]
    [InlineData("0 9 * * mon-fri", "2026-11-21 12:00", "2026-11-23 09:00")] // Saturday -> Monday
    [InlineData("0 0 13 * 5", "2026-11-22 00:00", "2026-11-27 00:00")] // day 13 or any Friday (cron's OR)
    [InlineData("0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00")]
    [InlineData("5,10-12 * * * 7", "2026-11-22 23:58", "2026-11-29 00:05")] // 7 is Sunday
    public void Next_IsTheFirstMatchingMinuteAfter(string expression, string after, string expected)
    {
        var next = CronExpression.Parse(expression).Next(DateTime.Parse(after, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), next);
    }

    [Theory]
    [InlineData("* * * *", "five fields")]
    [InlineData("60 * * * *", "minute field must be between 0 and 59")]
    [InlineData("* 24 * * *", "hour field")]
    [InlineData("* * 0 * *", "day of month field")]
    [InlineData("* * * foo *", "month field")]
    [InlineData("*/0 * * * *", "bad step")]
    [InlineData("* * * * 5-1", "ends before it starts")]
    public void BadExpression_IsRefusedNamingTheField(string expression, string message)
    {
        Assert.False(CronExpression.TryParse(expression, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ImpossibleDate_HasNoNextRun() => Assert.Null(CronExpression.Parse("0 0 31 2 *").Next(new DateTime(2026, 1, 1)));
}
