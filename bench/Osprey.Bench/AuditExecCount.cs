using System.Globalization;
using System.Text;

namespace Osprey.Bench;

/// <summary>
/// Counts execve records in audit logs: events whose SYSCALL record carries the rule's key and whose EXECVE record has an
/// argument <c>prefix + n</c> (quoted, or hex when auditd encodes it). Records of one event share the
/// <c>msg=audit(time:serial)</c> stamp.
/// </summary>
public static class AuditExecCount
{
    /// <summary>The distinct n found (each start counted once however often it was logged) and all matching events.</summary>
    public static (HashSet<long> Found, long Events) Count(IEnumerable<string> logFiles, string key, string prefix)
    {
        var keyed = new HashSet<string>(StringComparer.Ordinal);
        var marked = new Dictionary<string, long>(StringComparer.Ordinal);
        var keyField = $"key=\"{key}\"";
        foreach (var file in logFiles.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.StartsWith("type=SYSCALL ", StringComparison.Ordinal) && line.Contains(keyField, StringComparison.Ordinal))
                {
                    keyed.Add(Stamp(line));
                }
                else if (line.StartsWith("type=EXECVE ", StringComparison.Ordinal) && Marker(line, prefix) is { } n)
                {
                    marked[Stamp(line)] = n;
                }
            }
        }
        var found = new HashSet<long>();
        long events = 0;
        foreach (var (stamp, n) in marked)
        {
            if (keyed.Contains(stamp))
            {
                found.Add(n);
                events++;
            }
        }
        return (found, events);
    }

    private static string Stamp(string line)
    {
        var start = line.IndexOf("msg=audit(", StringComparison.Ordinal) + "msg=audit(".Length;
        return line[start..line.IndexOf(')', start)];
    }

    /// <summary>The n of the first argument (a0, a1…) that is <c>prefix + n</c>.</summary>
    private static long? Marker(string line, string prefix)
    {
        foreach (var field in line.Split(' '))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (field.Length < 4 || field[0] != 'a' || !char.IsAsciiDigit(field[1]) || eq < 0)
            {
                continue;
            }
            var raw = field[(eq + 1)..];
            // auditd quotes a printable argument and writes any other as hex.
            var value = raw.StartsWith('"') ? raw.Trim('"') : Hex(raw);
            if (value is not null && value.StartsWith(prefix, StringComparison.Ordinal)
                && long.TryParse(value.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }
        return null;
    }

    private static string? Hex(string text)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromHexString(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
