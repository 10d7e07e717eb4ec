using System.Globalization;
using System.Text.Unicode;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Finds the process holding a socket by its inode: /proc/PID/fd/N links read "socket:[INODE]". Reading every
/// descriptor of every process is costly, so a lookup first tries the processes that owned recent sockets (most
/// recent first), then
/// (when the caller allows it) every process, several inodes at once, stopping when all are found. Found owners
/// are cached by inode, at most <c>capacity</c> of them.
/// </summary>
internal sealed class SocketOwners(ProcessTable processes, int capacity)
{
    private const int RecentCount = 16;
    private readonly Dictionary<ulong, ProcessInfo> _owners = [];
    private readonly int[] _recent = new int[RecentCount];

    /// <summary>Full scans of /proc done so far.</summary>
    public long FullScans { get; private set; }

    public int Count => _owners.Count;

    public ProcessInfo? Cached(ulong inode) => _owners.GetValueOrDefault(inode);

    public void Forget(ulong inode) => _owners.Remove(inode);

    /// <summary>Looks for the owners of the inodes not cached yet; afterwards <see cref="Cached"/> answers for those found.</summary>
    public void Resolve(IEnumerable<ulong> inodes, bool allowFullScan)
    {
        var wanted = new HashSet<ulong>();
        foreach (var inode in inodes)
        {
            if (inode != 0 && !_owners.ContainsKey(inode))
            {
                wanted.Add(inode);
            }
        }
        if (wanted.Count == 0)
        {
            return;
        }
        // Most recently found owner first: the process that opened the last sockets usually opened these too, and
        // every process read before it costs a readlink per descriptor. The order is fixed before the scan moves it.
        Span<int> recent = stackalloc int[RecentCount];
        _recent.CopyTo(recent);
        foreach (var pid in recent)
        {
            if (pid > 0 && ScanProcess(pid, wanted) && wanted.Count == 0)
            {
                return;
            }
        }
        if (!allowFullScan)
        {
            return;
        }
        FullScans++;
        foreach (var pid in ListPids())
        {
            if (recent.IndexOf(pid) < 0 && ScanProcess(pid, wanted) && wanted.Count == 0)
            {
                return;
            }
        }
    }

    /// <summary>Reads one process's descriptors; true when it held any wanted inode (now removed from the set).</summary>
    private bool ScanProcess(int pid, HashSet<ulong> wanted)
    {
        var found = false;
        ProcessInfo? owner = null;
        var ownerRead = false;
        Span<byte> path = stackalloc byte[64];
        Span<byte> target = stackalloc byte[64];
        if (!Utf8.TryWrite(path, CultureInfo.InvariantCulture, $"{ProcFs.Root}/{pid}/fd\0", out var directoryLength))
        {
            return false;
        }
        // The process may exit (or be a kernel thread without descriptors) while it is read: its entries just end.
        using var descriptors = DirectoryStream.Open(path, out _);
        if (descriptors is null)
        {
            return false;
        }
        // Each link is read relative to the open fd directory: one path component to resolve instead of four.
        var directory = descriptors.Descriptor;
        Span<byte> entry = stackalloc byte[16];
        while (descriptors.TryRead(out var name))
        {
            if (name.IsEmpty || name[0] == (byte)'.' || name.Length + 1 > entry.Length)
            {
                continue;
            }
            name.CopyTo(entry);
            entry[name.Length] = 0;
            var length = SymbolicLink.ReadAt(directory, entry[..(name.Length + 1)], target);
            if (length == -Errno.EACCES)
            {
                // Every descriptor of this process is hidden from us (another user namespace's init, say).
                break;
            }
            if (length <= 0 || !TryParseSocketLink(target[..length], out var inode) || !wanted.Remove(inode))
            {
                continue;
            }
            found = true;
            // One read of the process for all the sockets it holds.
            if (!ownerRead)
            {
                owner = processes.Get(pid);
                ownerRead = true;
            }
            if (owner is not null)
            {
                Remember(inode, owner);
            }
            if (wanted.Count == 0)
            {
                break;
            }
        }
        if (found)
        {
            Promote(pid);
        }
        return found;
    }

    /// <summary>Moves the process to the front of the recent owners (the least recent one drops out when it is new).</summary>
    private void Promote(int pid)
    {
        var at = Array.IndexOf(_recent, pid);
        Array.Copy(_recent, 0, _recent, 1, at < 0 ? RecentCount - 1 : at);
        _recent[0] = pid;
    }

    /// <summary>Every process ID in /proc, read without a stat per entry.</summary>
    private static List<int> ListPids()
    {
        var pids = new List<int>();
        using var proc = DirectoryStream.Open("/proc\0"u8, out _);
        while (proc is not null && proc.TryRead(out var name))
        {
            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private void Remember(ulong inode, ProcessInfo owner)
    {
        if (_owners.Count >= capacity)
        {
            // Owners of closed sockets are normally forgotten as they close; if that is missed, start again rather than grow.
            _owners.Clear();
        }
        _owners[inode] = owner;
    }

    /// <summary>Parses "socket:[12345]".</summary>
    internal static bool TryParseSocketLink(ReadOnlySpan<byte> link, out ulong inode)
    {
        inode = 0;
        ReadOnlySpan<byte> prefix = "socket:["u8;
        if (link.Length < prefix.Length + 2 || !link.StartsWith(prefix) || link[^1] != (byte)']')
        {
            return false;
        }
        return ulong.TryParse(link[prefix.Length..^1], NumberStyles.None, CultureInfo.InvariantCulture, out inode);
    }
}
