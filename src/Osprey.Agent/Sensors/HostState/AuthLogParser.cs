using System.Globalization;
using System.Text.RegularExpressions;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Failed logons in syslog's authentication log: sshd's "Failed &lt;method&gt; for [invalid user] NAME from IP
/// port N" and pam_unix's "authentication failure" of other services (su, sudo, login). Timestamps may be
/// RFC 3339 (rsyslog's default on Debian 12) or the classic "Mar  1 10:00:00" in local time.
/// </summary>
public static partial class AuthLogParser
{
    private const int MaxLineLength = 8192;

    [GeneratedRegex(@"^Failed (?<method>\S+) for (?<invalid>invalid user )?(?<user>.*?) from (?<ip>\S+) port (?<port>\d+)", RegexOptions.CultureInvariant, 100)]
    private static partial Regex SshdFailure();

    [GeneratedRegex(@"^pam_unix\((?<service>[^:()]+):auth\): authentication failure;(?<fields>.*)$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex PamFailure();

    [GeneratedRegex(@"^(?<program>[^\s\[:]+)(\[(?<pid>\d+)\])?:$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Tag();

    /// <summary>The failed logon a line reports, or null for any other line (or one that cannot be read).</summary>
    public static AuthLogEntry? Parse(string line, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (line.Length is 0 or > MaxLineLength || !TryTimestamp(line, now, zone, out var time, out var rest))
        {
            return null;
        }
        // "<host> <program>[<pid>]: <message>"
        var parts = rest.Split(' ', 3, StringSplitOptions.None);
        if (parts.Length < 3 || Tag().Match(parts[1]) is not { Success: true } tag)
        {
            return null;
        }
        var program = tag.Groups["program"].Value;
        var pid = tag.Groups["pid"].Success && int.TryParse(tag.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
        var message = parts[2];
        var timeUs = time.ToUnixTimeMilliseconds() * 1000;
        if (program == "sshd" && SshdFailure().Match(message) is { Success: true } ssh)
        {
            var reason = $"failed {ssh.Groups["method"].Value}" + (ssh.Groups["invalid"].Success ? " (invalid user)" : "");
            return new AuthLogEntry(timeUs, "sshd", pid, ssh.Groups["user"].Value, ssh.Groups["ip"].Value,
                int.Parse(ssh.Groups["port"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture), "ssh", reason, "");
        }
        if (PamFailure().Match(message) is { Success: true } pam)
        {
            var service = pam.Groups["service"].Value;
            if (service == "sshd")
            {
                // sshd also logs its own "Failed password" line for the same attempt.
                return null;
            }
            var fields = Fields(pam.Groups["fields"].Value);
            var user = fields.GetValueOrDefault("user") is { Length: > 0 } u ? u : fields.GetValueOrDefault("ruser") ?? "";
            var tty = fields.GetValueOrDefault("tty") ?? "";
            var type = service switch
            {
                "sudo" or "sudo-i" => "sudo",
                "su" or "su-l" => "su",
                "login" => "console",
                _ => service,
            };
            return new AuthLogEntry(timeUs, service, pid, user, fields.GetValueOrDefault("rhost") ?? "", 0, type, "authentication failure",
                tty.StartsWith("/dev/", StringComparison.Ordinal) ? tty[5..] : tty);
        }
        return null;
    }

    private static Dictionary<string, string> Fields(string text)
    {
        // " logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=root": values never hold spaces.
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                fields[token[..equals]] = token[(equals + 1)..];
            }
        }
        return fields;
    }

    private static bool TryTimestamp(string line, DateTimeOffset now, TimeZoneInfo zone, out DateTimeOffset time, out string rest)
    {
        time = default;
        rest = "";
        if (char.IsAsciiDigit(line[0]))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0 || !DateTimeOffset.TryParse(line.AsSpan(0, space), CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
            {
                return false;
            }
            rest = line[(space + 1)..];
            return true;
        }
        // "Mar  1 10:00:00 " — 15 characters, day padded with a space, no year, local time. The year is the
        // current one (given, never read from the system clock), or the one before for a December line read
        // in January and for 29 February.
        if (line.Length < 16 || line[15] != ' ')
        {
            return false;
        }
        var stamp = line[..15].Replace("  ", " ", StringComparison.Ordinal);
        var localNow = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        DateTime local = default;
        var parsed = false;
        foreach (var year in new[] { localNow.Year, localNow.Year - 1 })
        {
            if (DateTime.TryParseExact($"{year.ToString(CultureInfo.InvariantCulture)} {stamp}", "yyyy MMM d HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out local)
                && local <= localNow.AddDays(1))
            {
                parsed = true;
                break;
            }
        }
        if (!parsed)
        {
            return false;
        }
        time = new DateTimeOffset(local, zone.GetUtcOffset(local));
        rest = line[16..];
        return true;
    }
}
