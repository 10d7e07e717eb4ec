using System.Globalization;
using System.Text;

namespace Osprey.Agent.Sensors.Files;

/// <summary>One line of /proc/self/mountinfo: a mount, the filesystem (device) behind it and the subtree it shows.</summary>
internal sealed record MountEntry(int MountId, int ParentId, uint Major, uint Minor, string Root, string MountPoint, string FsType, string Source)
{
    public (uint Major, uint Minor) Device => (Major, Minor);

    /// <summary>Parses mountinfo text; lines that do not have the documented shape are skipped.</summary>
    public static List<MountEntry> ParseAll(string text)
    {
        var mounts = new List<MountEntry>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryParse(line, out var mount))
            {
                mounts.Add(mount);
            }
        }
        return mounts;
    }

    // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
    public static bool TryParse(string line, out MountEntry mount)
    {
        mount = null!;
        var fields = line.Split(' ');
        var separator = fields.Length < 10 ? -1 : Array.IndexOf(fields, "-", 6);
        if (separator < 0 || separator + 2 >= fields.Length)
        {
            return false;
        }
        var device = fields[2].Split(':');
        if (!int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            || device.Length != 2
            || !uint.TryParse(device[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !uint.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
        {
            return false;
        }
        mount = new MountEntry(id, parent, major, minor, Unescape(fields[3]), Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2]));
        return true;
    }

    /// <summary>The kernel writes space, tab, newline and backslash in paths as three octal digits (\040).</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var raw = Encoding.UTF8.GetBytes(field);
        var bytes = new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && IsOctal(raw, i + 1))
            {
                bytes[n++] = (byte)(((raw[i + 1] - '0') << 6) | ((raw[i + 2] - '0') << 3) | (raw[i + 3] - '0'));
                i += 3;
                continue;
            }
            bytes[n++] = raw[i];
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    private static bool IsOctal(byte[] s, int start) =>
        start + 3 <= s.Length && s[start] is >= (byte)'0' and <= (byte)'3' && s[start + 1] is >= (byte)'0' and <= (byte)'7' && s[start + 2] is >= (byte)'0' and <= (byte)'7';
}
