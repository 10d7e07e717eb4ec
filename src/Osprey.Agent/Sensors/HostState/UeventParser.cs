using System.Text;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Parser of kernel uevent datagrams ("ACTION@DEVPATH\0KEY=value\0…") and of sysfs uevent files (KEY=value
/// lines). Input is bounded and checked: a message without ACTION, DEVPATH and SUBSYSTEM, or with more
/// properties or longer values than the kernel ever sends, is rejected rather than half-parsed.
/// </summary>
public static class UeventParser
{
    /// <summary>The kernel's own limits: UEVENT_NUM_ENVP (64) properties in UEVENT_BUFFER_SIZE (2048) bytes.</summary>
    public const int MaxProperties = 64;

    public const int MaxBytes = 8192;

    private const int MaxKeyLength = 64;

    /// <summary>Parses a datagram from the kernel group; false for udev's re-broadcast format or malformed input.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out UeventMessage? message)
    {
        message = null;
        if (datagram.IsEmpty || datagram.Length > MaxBytes || datagram.StartsWith("libudev\0"u8))
        {
            return false;
        }
        var headerEnd = datagram.IndexOf((byte)0);
        var header = headerEnd < 0 ? datagram : datagram[..headerEnd];
        var at = header.IndexOf((byte)'@');
        if (at <= 0 || at == header.Length - 1)
        {
            return false;
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = headerEnd < 0 ? [] : datagram[(headerEnd + 1)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            var item = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (item.IsEmpty)
            {
                continue;
            }
            if (!TryAdd(properties, item))
            {
                return false;
            }
        }
        return TryBuild(properties, Encoding.UTF8.GetString(header[..at]), Encoding.UTF8.GetString(header[(at + 1)..]), out message);
    }

    /// <summary>Parses a sysfs uevent file (KEY=value per line) of a device as an "add" for a snapshot.</summary>
    public static bool TryParseSysfs(ReadOnlySpan<byte> file, string devPath, string subsystem, out UeventMessage? message)
    {
        message = null;
        if (file.Length > MaxBytes)
        {
            return false;
        }
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!file.IsEmpty)
        {
            var end = file.IndexOf((byte)'\n');
            var line = end < 0 ? file : file[..end];
            file = end < 0 ? [] : file[(end + 1)..];
            if (!line.IsEmpty && !TryAdd(properties, line))
            {
                return false;
            }
        }
        properties["ACTION"] = "add";
        properties["DEVPATH"] = devPath;
        properties["SUBSYSTEM"] = subsystem;
        return TryBuild(properties, "add", devPath, out message);
    }

    private static bool TryAdd(Dictionary<string, string> properties, ReadOnlySpan<byte> item)
    {
        var equals = item.IndexOf((byte)'=');
        if (equals <= 0 || equals > MaxKeyLength || properties.Count >= MaxProperties)
        {
            return false;
        }
        properties[Encoding.UTF8.GetString(item[..equals])] = Encoding.UTF8.GetString(item[(equals + 1)..]);
        return true;
    }

    private static bool TryBuild(Dictionary<string, string> properties, string headerAction, string headerPath, out UeventMessage? message)
    {
        message = null;
        if (!properties.TryGetValue("ACTION", out var action) || !properties.TryGetValue("DEVPATH", out var devPath)
            || !properties.TryGetValue("SUBSYSTEM", out var subsystem))
        {
            return false;
        }
        // The header repeats ACTION and DEVPATH; a disagreement means a forged or corrupted message.
        if (!string.Equals(action, headerAction, StringComparison.Ordinal) || !string.Equals(devPath, headerPath, StringComparison.Ordinal)
            || !devPath.StartsWith('/') || devPath.Contains("/../", StringComparison.Ordinal) || devPath.EndsWith("/..", StringComparison.Ordinal))
        {
            return false;
        }
        message = new UeventMessage(action, devPath, subsystem, properties);
        return true;
    }
}
