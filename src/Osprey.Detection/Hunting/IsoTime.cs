using System.Globalization;

namespace Osprey.Detection.Hunting;

/// <summary>Parses the ISO-8601 forms hunting accepts for times into Unix microseconds.</summary>
internal static class IsoTime
{
    private static readonly string[] Formats =
    [
        "yyyy'-'MM'-'dd",
        "yyyy'-'MM'-'dd'T'HH':'mmK",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ssK",
        "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'FFFFFFFK",
        "yyyy'-'MM'-'dd' 'HH':'mmK",
        "yyyy'-'MM'-'dd' 'HH':'mm':'ssK",
        "yyyy'-'MM'-'dd' 'HH':'mm':'ss'.'FFFFFFFK",
    ];

    /// <summary>Parses a date, or a date and time with an optional fraction and offset; without an offset the time is UTC.</summary>
    public static bool TryParseMicroseconds(string text, out long microseconds)
    {
        microseconds = 0;
        if (!DateTimeOffset.TryParseExact(text, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return false;
        }

        microseconds = (time.UtcTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
        return true;
    }
}
