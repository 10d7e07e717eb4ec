using System.Globalization;

namespace Osprey.Contracts.Scheduling;

/// <summary>
/// A five-field cron expression (minute, hour, day of month, month, day of week) as crontab(5) reads it: numbers,
/// <c>*</c>, ranges <c>a-b</c>, steps <c>/n</c>, lists, and month and weekday names (jan, mon). As in cron, when both
/// day fields are restricted a day matches if either does. Used by the node to validate recurring tasks and by the
/// agent to run them in the device's local time.
/// </summary>
public sealed class CronExpression
{
    private static readonly string[] MonthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    private readonly ulong _minutes;
    private readonly uint _hours;
    private readonly uint _days;
    private readonly ushort _months;
    private readonly byte _weekdays;
    private readonly bool _anyDay;
    private readonly bool _anyWeekday;

    private CronExpression(string text, ulong minutes, uint hours, uint days, ushort months, byte weekdays, bool anyDay, bool anyWeekday)
    {
        Text = text;
        _minutes = minutes;
        _hours = hours;
        _days = days;
        _months = months;
        _weekdays = weekdays;
        _anyDay = anyDay;
        _anyWeekday = anyWeekday;
    }

    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the field that is wrong.</summary>
    public static CronExpression Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"a cron expression has five fields (minute hour day-of-month month day-of-week), '{text}' has {fields.Length}");
        }
        var minutes = Field(fields[0], "minute", 0, 59, null);
        var hours = Field(fields[1], "hour", 0, 23, null);
        var days = Field(fields[2], "day of month", 1, 31, null);
        var months = Field(fields[3], "month", 1, 12, MonthNames);
        var weekdays = Field(fields[4], "day of week", 0, 7, DayNames);
        // 7 is Sunday too.
        weekdays = (weekdays | (weekdays >> 7)) & 0x7F;
        return new CronExpression(string.Join(' ', fields), minutes, (uint)hours, (uint)days, (ushort)months, (byte)weekdays, fields[2].StartsWith('*'), fields[4].StartsWith('*'));
    }

    public static bool TryParse(string text, out CronExpression? expression, out string? error)
    {
        try
        {
            expression = Parse(text);
            error = null;
            return true;
        }
        catch (FormatException e)
        {
            expression = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>The first matching minute strictly after <paramref name="after"/> (in its offset's local time); null if none within five years.</summary>
    public DateTime? Next(DateTime after)
    {
        var t = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, after.Kind).AddMinutes(1);
        var limit = after.AddYears(5);
        while (t <= limit)
        {
            if ((_months & (1 << t.Month)) == 0)
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, t.Kind).AddMonths(1);
                continue;
            }
            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }
            if ((_hours & (1u << t.Hour)) == 0)
            {
                t = new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, t.Kind).AddHours(1);
                continue;
            }
            if ((_minutes & (1UL << t.Minute)) == 0)
            {
                t = t.AddMinutes(1);
                continue;
            }
            return t;
        }
        return null;
    }

    private bool DayMatches(DateTime t)
    {
        var day = (_days & (1u << t.Day)) != 0;
        var weekday = (_weekdays & (1 << (int)t.DayOfWeek)) != 0;
        return _anyDay || _anyWeekday ? day && weekday : day || weekday;
    }

    private static ulong Field(string text, string name, int min, int max, string[]? names)
    {
        ulong bits = 0;
        foreach (var part in text.Split(','))
        {
            var step = 1;
            var range = part;
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0)
            {
                if (!int.TryParse(part.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1)
                {
                    throw new FormatException($"the {name} field has a bad step in '{part}'");
                }
                range = part[..slash];
            }
            int low, high;
            if (range == "*")
            {
                (low, high) = (min, max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                low = Value(dash < 0 ? range : range[..dash], name, min, max, names);
                high = dash < 0 ? (slash >= 0 ? max : low) : Value(range[(dash + 1)..], name, min, max, names);
                if (high < low)
                {
                    throw new FormatException($"the {name} range '{range}' ends before it starts");
                }
            }
            for (var v = low; v <= high; v += step)
            {
                bits |= 1UL << v;
            }
        }
        return bits;
    }

    private static int Value(string text, string name, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var index = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return index + min;
            }
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new FormatException($"the {name} field must be between {min} and {max}, not '{text}'");
        }
        return value;
    }

    public override string ToString() => Text;
}
