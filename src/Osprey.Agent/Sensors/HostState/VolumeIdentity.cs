using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Finds a mounted volume's label and UUID: udev's /dev/disk/by-label and by-uuid links first, then the
/// superblock itself (hosts without udev, or a volume udev has not processed yet).
/// </summary>
internal sealed class VolumeIdentity(string diskDirectory, string sysDevBlockDirectory, bool probeSuperblocks)
{
    private const int MaxLinks = 4096;

    public (string Label, string Uuid) Resolve(MountEntry entry)
    {
        var device = DeviceOf(entry);
        if (device is null)
        {
            return ("", "");
        }
        var label = FindLink(Path.Join(diskDirectory, "by-label"), device);
        var uuid = FindLink(Path.Join(diskDirectory, "by-uuid"), device);
        if ((label.Length == 0 || uuid.Length == 0) && probeSuperblocks && VolumeProbe.Probe(device) is { } probed)
        {
            label = label.Length == 0 ? probed.Label : label;
            uuid = uuid.Length == 0 ? probed.Uuid : uuid;
        }
        return (label, uuid);
    }

    /// <summary>The block device node behind a mount: its source if that is one, else the node of its device number.</summary>
    private string? DeviceOf(MountEntry entry)
    {
        if (entry.Source.StartsWith("/dev/", StringComparison.Ordinal) && RealBlockDevice(entry.Source) is { } real)
        {
            return real;
        }
        // "/dev/root" and similar names that are not nodes: sysfs knows the device by number.
        var link = Path.Join(sysDevBlockDirectory, entry.MajorMinor);
        try
        {
            var target = new FileInfo(link).LinkTarget;
            return target is null ? null : RealBlockDevice("/dev/" + Path.GetFileName(target));
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? RealBlockDevice(string path)
    {
        try
        {
            var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            return Libc.Stat(real, followLinks: true, out _) is { FileType: "block-device" } ? real : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string FindLink(string directory, string device)
    {
        try
        {
            foreach (var link in Directory.EnumerateFileSystemEntries(directory).Take(MaxLinks))
            {
                var target = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (string.Equals(target, device, StringComparison.Ordinal))
                {
                    return UnescapeUdev(Path.GetFileName(link));
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return "";
    }

    /// <summary>udev writes unsafe characters of link names as \xHH ("My\x20Disk").</summary>
    internal static string UnescapeUdev(string name)
    {
        if (!name.Contains("\\x", StringComparison.Ordinal))
        {
            return name;
        }
        var bytes = new List<byte>(name.Length);
        var raw = System.Text.Encoding.UTF8.GetBytes(name);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 3 < raw.Length && raw[i + 1] == 'x' && Uri.IsHexDigit((char)raw[i + 2]) && Uri.IsHexDigit((char)raw[i + 3]))
            {
                bytes.Add(Convert.ToByte(System.Text.Encoding.ASCII.GetString(raw, i + 2, 2), 16));
                i += 3;
                continue;
            }
            bytes.Add(raw[i]);
        }
        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }
}
