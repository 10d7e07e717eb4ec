using System.Globalization;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>User and group names by ID from /etc/passwd and /etc/group, re-read when either file changes.</summary>
public sealed class UserDirectory(string passwdPath = "/etc/passwd", string groupPath = "/etc/group", TimeProvider? time = null)
{
    // Names are looked up several times per event: their files' times are checked at most this often (an account
    // added is named within this delay); account lookups (tasks, rare) always check.
    private static readonly TimeSpan NamesCheckInterval = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private long _checkedAt = long.MinValue;
    private Dictionary<uint, string> _users = [];
    private Dictionary<uint, string> _groups = [];
    private Dictionary<uint, uint>? _primaryGroups = [];
    private Dictionary<string, UserAccount>? _accounts = [];
    private DateTime _passwdStamp;
    private DateTime _groupStamp;

    public string? UserName(uint uid)
    {
        lock (_lock)
        {
            RefreshNames();
            return _users.GetValueOrDefault(uid);
        }
    }

    public string? GroupName(uint gid)
    {
        lock (_lock)
        {
            RefreshNames();
            return _groups.GetValueOrDefault(gid);
        }
    }

    /// <summary>The user's primary group (the fourth field of /etc/passwd).</summary>
    public uint? PrimaryGroupId(uint uid)
    {
        lock (_lock)
        {
            RefreshNames();
            return _primaryGroups is not null && _primaryGroups.TryGetValue(uid, out var gid) ? gid : null;
        }
    }

    /// <summary>The account named <paramref name="name"/> (the first /etc/passwd line with that name); null when there is none.</summary>
    public UserAccount? Account(string name)
    {
        lock (_lock)
        {
            Refresh();
            return _accounts is not null && _accounts.TryGetValue(name, out var account) ? account : null;
        }
    }

    /// <summary>Every account of /etc/passwd (the first line of each name).</summary>
    public IReadOnlyList<UserAccount> Accounts()
    {
        lock (_lock)
        {
            Refresh();
            return _accounts is null ? [] : [.. _accounts.Values.OrderBy(a => a.Uid)];
        }
    }

    private void RefreshNames()
    {
        var now = _time.GetTimestamp();
        if (_checkedAt != long.MinValue && _time.GetElapsedTime(_checkedAt, now) < NamesCheckInterval)
        {
            return;
        }
        Refresh();
    }

    private void Refresh()
    {
        _checkedAt = _time.GetTimestamp();
        Reload(passwdPath, ref _passwdStamp, ref _users, ref _primaryGroups, ref _accounts);
        Dictionary<uint, uint>? none = null;
        Dictionary<string, UserAccount>? noAccounts = null;
        Reload(groupPath, ref _groupStamp, ref _groups, ref none, ref noAccounts);
    }

    private static void Reload(
        string path, ref DateTime stamp, ref Dictionary<uint, string> names, ref Dictionary<uint, uint>? primaryGroups, ref Dictionary<string, UserAccount>? accounts)
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
            var groups = primaryGroups is null ? null : new Dictionary<uint, uint>();
            var byName = accounts is null ? null : new Dictionary<string, UserAccount>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(path))
            {
                // name:password:id:…
                var parts = line.Split(':');
                if (parts.Length >= 3 && uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    loaded.TryAdd(id, parts[0]);
                    if (groups is not null && parts.Length >= 4 && uint.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
                    {
                        groups.TryAdd(id, gid);
                        // name:password:uid:gid:comment:home:shell
                        if (byName is not null && parts.Length >= 7)
                        {
                            byName.TryAdd(parts[0], new UserAccount(parts[0], id, gid, parts[5]));
                        }
                    }
                }
            }
            names = loaded;
            if (groups is not null)
            {
                primaryGroups = groups;
            }
            if (byName is not null)
            {
                accounts = byName;
            }
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

/// <summary>An account of /etc/passwd: its name, user ID, primary group ID and home directory.</summary>
public sealed record UserAccount(string Name, uint Uid, uint Gid, string Home);
