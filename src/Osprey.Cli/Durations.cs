using System.Globalization;

namespace Osprey.Cli;

/// <summary>Parses durations such as 90s, 30m, 24h, 7d.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }
        throw new CliException($"'{text}' is not a duration such as 90s, 30m, 24h or 7d", 2);
    }
}
