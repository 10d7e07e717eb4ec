namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Job lines of a crontab (crontab(5)): comments, blank lines and environment assignments are skipped; a job
/// is five time fields or an @keyword, then in system crontabs (/etc/crontab, /etc/cron.d) the account, then
/// the command. Lines cron would reject are skipped too.
/// </summary>
public static class CronParser
{
    /// <summary>cron's own limit on a command is about 1000 characters; longer lines are not jobs.</summary>
    public const int MaxLineLength = 4096;

    private static readonly string[] Keywords = ["@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

    public static List<CronJob> Parse(string text, bool hasUserColumn, int maxJobs)
    {
        var jobs = new List<CronJob>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (jobs.Count >= maxJobs)
            {
                break;
            }
            if (raw.Length <= MaxLineLength && ParseLine(raw.TrimEnd('\r'), hasUserColumn, number) is { } job)
            {
                jobs.Add(job);
            }
        }
        return jobs;
    }

    public static CronJob? ParseLine(string line, bool hasUserColumn, int number)
    {
        var rest = line.AsSpan().TrimStart(" \t");
        if (rest.IsEmpty || rest[0] == '#')
        {
            return null;
        }
        // Jobs start with a minute (digit or '*') or an @keyword; anything else with '=' is an environment setting.
        if (!char.IsAsciiDigit(rest[0]) && rest[0] is not ('*' or '@'))
        {
            return null;
        }
        string schedule;
        if (rest[0] == '@')
        {
            var keyword = NextWord(ref rest).ToString();
            if (!Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }
            schedule = keyword.ToLowerInvariant();
        }
        else
        {
            var fields = new string[5];
            for (var i = 0; i < 5; i++)
            {
                var field = NextWord(ref rest);
                if (field.IsEmpty || !IsTimeField(field))
                {
                    return null;
                }
                fields[i] = field.ToString();
            }
            schedule = string.Join(' ', fields);
        }
        string? user = null;
        if (hasUserColumn)
        {
            var word = NextWord(ref rest);
            if (word.IsEmpty)
            {
                return null;
            }
            user = word.ToString();
        }
        var command = rest.Trim(" \t").ToString();
        return command.Length == 0 ? null : new CronJob(number, schedule, user, command);
    }

    private static ReadOnlySpan<char> NextWord(ref ReadOnlySpan<char> rest)
    {
        rest = rest.TrimStart(" \t");
        var end = rest.IndexOfAny(' ', '\t');
        var word = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : rest[end..];
        return word;
    }

    // Numbers, ranges, steps, lists and month / day names ("1-5", "*/10", "mon,wed", "jan").
    private static bool IsTimeField(ReadOnlySpan<char> field)
    {
        foreach (var c in field)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('*' or ',' or '-' or '/'))
            {
                return false;
            }
        }
        return true;
    }
}
