using System.Globalization;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Names controlling terminals ("pts/3", "tty1", "ttyS0") from the tty_nr field of /proc/PID/stat.</summary>
internal sealed class TtyNames(string sysfsRoot = "/sys/dev/char")
{
    private const int MaxCached = 1024;
    private readonly Dictionary<int, string> _names = [];

    /// <summary>The terminal's name without "/dev/", or empty when the process has none.</summary>
    public string NameOf(int ttyNumber)
    {
        if (ttyNumber == 0)
        {
            return "";
        }
        if (_names.TryGetValue(ttyNumber, out var known))
        {
            return known;
        }
        var name = Resolve(ttyNumber);
        if (_names.Count >= MaxCached)
        {
            _names.Clear();
        }
        _names[ttyNumber] = name;
        return name;
    }

    /// <summary>Major and minor numbers as the kernel packs them into tty_nr (new_encode_dev).</summary>
    public static (int Major, int Minor) Decode(int ttyNumber) =>
        ((ttyNumber >> 8) & 0xfff, (ttyNumber & 0xff) | ((ttyNumber >> 12) & 0xfff00));

    private string Resolve(int ttyNumber)
    {
        var (major, minor) = Decode(ttyNumber);
        // Unix98 pseudo-terminals (majors 136-143) are not in sysfs.
        if (major is >= 136 and <= 143)
        {
            return string.Create(CultureInfo.InvariantCulture, $"pts/{(major - 136) * 256 + minor}");
        }
        try
        {
            foreach (var line in File.ReadLines($"{sysfsRoot}/{major}:{minor}/uevent"))
            {
                if (line.StartsWith("DEVNAME=", StringComparison.Ordinal))
                {
                    return line[8..];
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return string.Create(CultureInfo.InvariantCulture, $"char/{major}:{minor}");
    }
}
