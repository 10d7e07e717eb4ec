using System.Globalization;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>Account IDs by name from /etc/passwd (utmp, crontabs and units name users, events also carry the ID), re-read when the file changes.</summary>
internal sealed class PasswdIndex(string path = "/etc/passwd")
{
    private const int MaxBytes = 16 * 1024 * 1024;
    private Dictionary<string, (uint Uid, uint Gid)> _byName = new(StringComparer.Ordinal);
    private DateTime _stamp;

    /// <summary>The account's uid and primary gid, or null when the name is not a local account.</summary>
    public (uint Uid, uint Gid)? Find(string name)
    {
        Refresh();
        return _byName.TryGetValue(name, out var ids) ? ids : null;
    }

    private void Refresh()
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LastWriteTimeUtc == _stamp || info.Length > MaxBytes)
            {
                return;
            }
            var loaded = new Dictionary<string, (uint, uint)>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path))
            {
                // name:password:uid:gid:…
                var parts = line.Split(':');
                if (parts.Length >= 4
                    && uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                    && uint.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
                {
                    loaded.TryAdd(parts[0], (uid, gid));
                }
            }
            _byName = loaded;
            _stamp = info.LastWriteTimeUtc;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
