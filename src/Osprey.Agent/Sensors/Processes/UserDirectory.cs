using System.Globalization;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>User and group names by ID from /etc/passwd and /etc/group, re-read when either file changes.</summary>
public sealed class UserDirectory(string passwdPath = "/etc/passwd", string groupPath = "/etc/group")
{
    private readonly Lock _lock = new();
    private Dictionary<uint, string> _users = [];
    private Dictionary<uint, string> _groups = [];
    private DateTime _passwdStamp;
    private DateTime _groupStamp;

    public string? UserName(uint uid)
    {
        lock (_lock)
        {
            Refresh();
            return _users.GetValueOrDefault(uid);
        }
    }

    public string? GroupName(uint gid)
    {
        lock (_lock)
        {
            Refresh();
            return _groups.GetValueOrDefault(gid);
        }
    }

    private void Refresh()
    {
        Reload(passwdPath, ref _passwdStamp, ref _users);
        Reload(groupPath, ref _groupStamp, ref _groups);
    }

    private static void Reload(string path, ref DateTime stamp, ref Dictionary<uint, string> names)
    {
        DateTime now;
        try
        {
            now = File.GetLastWriteTimeUtc(path);
            if (now == stamp)
            {
                return;
            }
            var loaded = new Dictionary<uint, string>();
            foreach (var line in File.ReadLines(path))
            {
                // name:password:id:…
                var parts = line.Split(':');
                if (parts.Length >= 3 && uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    loaded.TryAdd(id, parts[0]);
                }
            }
            names = loaded;
            stamp = now;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
