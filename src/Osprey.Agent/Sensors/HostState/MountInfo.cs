using System.Globalization;
using System.Text;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>Parser of /proc/PID/mountinfo (proc(5)): one mount per line, optional fields up to a lone "-".</summary>
public static class MountInfo
{
    /// <summary>Mounts past this count are ignored (a container host with runaway mounts must not exhaust the agent).</summary>
    public const int MaxMounts = 65_536;

    /// <summary>Parses a whole table; malformed lines are skipped.</summary>
    public static Dictionary<int, MountEntry> ParseTable(ReadOnlySpan<byte> text)
    {
        var table = new Dictionary<int, MountEntry>();
        while (!text.IsEmpty && table.Count < MaxMounts)
        {
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? [] : text[(end + 1)..];
            if (ParseLine(Encoding.UTF8.GetString(line)) is { } entry)
            {
                table[entry.Id] = entry;
            }
        }
        return table;
    }

    /// <summary>One line, or null when it does not have the fields proc(5) promises.</summary>
    public static MountEntry? ParseLine(string line)
    {
        var fields = line.Split(' ');
        // id parent maj:min root mount-point options [optional…] - fstype source super-options
        if (fields.Length < 10)
        {
            return null;
        }
        var separator = Array.IndexOf(fields, "-", 6);
        if (separator < 0 || fields.Length < separator + 3)
        {
            return null;
        }
        if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
        {
            return null;
        }
        var options = new List<string>(fields[5].Split(',', StringSplitOptions.RemoveEmptyEntries));
        if (fields.Length > separator + 3)
        {
            foreach (var option in fields[separator + 3].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                // The per-mount "ro"/"rw" decides access; the superblock's copy would only contradict it.
                if (option is not ("ro" or "rw") && !options.Contains(option))
                {
                    options.Add(Unescape(option));
                }
            }
        }
        return new MountEntry(id, parent, fields[2], Unescape(fields[3]), Unescape(fields[4]), Unescape(fields[separator + 1]),
            Unescape(fields[separator + 2]), options);
    }

    /// <summary>Undoes the kernel's octal escapes of space, tab, newline and backslash ("\040").</summary>
    public static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }
        var bytes = new List<byte>(value.Length);
        var raw = Encoding.UTF8.GetBytes(value);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && IsOctal(raw[i + 1]) && IsOctal(raw[i + 2]) && IsOctal(raw[i + 3]))
            {
                var code = ((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0');
                if (code <= 0xff)
                {
                    bytes.Add((byte)code);
                    i += 3;
                    continue;
                }
            }
            bytes.Add(raw[i]);
        }
        return Encoding.UTF8.GetString([.. bytes]);

        static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
    }
}
