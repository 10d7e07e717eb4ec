using System.Text;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// One inotify instance over a set of <see cref="WatchTarget"/>s. Targets that do not exist yet are retried on
/// <see cref="Refresh"/>; a directory that disappears is reported for a rescan and retried; a queue overflow
/// asks for every target to be compared again. Directories reached through two paths (/lib → /usr/lib) are
/// watched once, under the first path given.
/// </summary>
internal sealed class DirectoryWatcher : IDisposable
{
    /// <summary>Largest number of targets (configured plus discovered) one watcher keeps.</summary>
    public const int MaxTargets = 1024;

    /// <summary>Most distinct changed files one batch lists before it turns into a rescan of every target.</summary>
    public const int MaxBatchPaths = 16_384;

    /// <summary>Most bytes of inotify records one <see cref="Drain"/> reads.</summary>
    public const int MaxDrainBytes = 1 << 20;

    private const uint MaskAdd = 0x20000000;
    private const uint FileMask = Inotify.Modify | Inotify.CloseWrite | Inotify.Attrib;
    private const uint StructureMask = Inotify.Create | Inotify.Delete | Inotify.MovedFrom | Inotify.MovedTo
        | Inotify.DeleteSelf | Inotify.MoveSelf | Inotify.OnlyDir | Inotify.ExclUnlink;

    private readonly FileDescriptor _fd = Inotify.Open();
    private readonly List<WatchTarget> _targets = [];
    private readonly Dictionary<int, string> _directoryByWd = [];
    private readonly Dictionary<string, int> _wdByDirectory = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliasOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _fileByWd = [];
    private readonly Dictionary<string, int> _wdByFile = new(StringComparer.Ordinal);
    private readonly HashSet<WatchTarget> _watched = new(ReferenceEqualityComparer.Instance);

    public DirectoryWatcher(IEnumerable<WatchTarget> targets)
    {
        foreach (var target in targets)
        {
            Add(target);
        }
    }

    public FileDescriptor Handle => _fd;

    public IReadOnlyList<WatchTarget> Targets => _targets;

    /// <summary>Some target could not be watched yet (missing directory); call <see cref="Refresh"/> again later.</summary>
    public bool HasMissing => _targets.Any(t => !IsWatched(t));

    /// <summary>The watch limit (fs.inotify.max_user_watches) refused a watch; the target stays unwatched.</summary>
    public bool LimitReached { get; private set; }

    /// <summary>Adds a target (watched from the next <see cref="Refresh"/>); false when it is known or the bound is reached.</summary>
    public bool Add(WatchTarget target)
    {
        if (_targets.Count >= MaxTargets || _targets.Any(t => t.IsFile == target.IsFile && string.Equals(t.Path, target.Path, StringComparison.Ordinal)))
        {
            return false;
        }
        _targets.Add(target);
        return true;
    }

    /// <summary>A directory target that is watched under its own path (not an alias of another target).</summary>
    public bool IsScannable(WatchTarget target) => !target.IsFile && _watched.Contains(target) && _wdByDirectory.ContainsKey(target.Path);

    /// <summary>Watches every target not watched yet; newly watched directories and files go into <paramref name="batch"/>.</summary>
    public void Refresh(WatchBatch batch)
    {
        foreach (var target in _targets)
        {
            if (IsWatched(target))
            {
                // A file that appeared is normally caught by its directory's IN_CREATE; this covers a target
                // added after its directory was already watched for another one.
                if (target.IsFile && !_wdByFile.ContainsKey(target.Path) && WatchFile(target.Path))
                {
                    batch.Paths.Add(target.Path);
                }
                continue;
            }
            var mask = target.IsFile ? StructureMask : Inotify.DirectoryChanges;
            if (!WatchDirectory(target.Directory, mask, out var alias))
            {
                continue;
            }
            _watched.Add(target);
            if (!target.IsFile)
            {
                if (!alias)
                {
                    batch.Directories.Add(target.Path);
                }
                continue;
            }
            if (WatchFile(target.Path))
            {
                batch.Paths.Add(target.Path);
            }
        }
    }

    /// <summary>
    /// Reads the waiting inotify records into <paramref name="batch"/>, at most <see cref="MaxDrainBytes"/> per
    /// call (the rest waits for the next); false when nothing was waiting.
    /// </summary>
    public bool Drain(WatchBatch batch, Span<byte> buffer)
    {
        var any = false;
        for (var read = 0; read < MaxDrainBytes;)
        {
            var n = FdIo.Read(_fd, buffer, "inotify");
            if (n <= 0)
            {
                return any;
            }
            any = true;
            read += n;
            var offset = 0;
            while (Inotify.TryReadRecord(buffer[..n], ref offset, out var record))
            {
                Dispatch(record, batch);
            }
        }
        return any;
    }

    private void Dispatch(in Inotify.Record record, WatchBatch batch)
    {
        var overflow = (record.Mask & Inotify.QueueOverflow) != 0;
        if (overflow || batch.Paths.Count >= MaxBatchPaths)
        {
            // Past this many files one rescan of everything is cheaper than remembering each of them.
            batch.Overflowed |= overflow;
            foreach (var target in _targets)
            {
                (target.IsFile ? batch.Paths : batch.Directories).Add(target.Path);
            }
            if (!overflow)
            {
                batch.Paths.RemoveWhere(p => !_targets.Any(t => t.IsFile && string.Equals(t.Path, p, StringComparison.Ordinal)));
                batch.Saturated = true;
            }
            return;
        }
        if (batch.Saturated)
        {
            return;
        }
        if (_fileByWd.TryGetValue(record.Wd, out var file))
        {
            batch.Paths.Add(file);
            if ((record.Mask & Inotify.Ignored) != 0)
            {
                _fileByWd.Remove(record.Wd);
                _wdByFile.Remove(file);
            }
            return;
        }
        if (!_directoryByWd.TryGetValue(record.Wd, out var directory))
        {
            return;
        }
        if ((record.Mask & Inotify.Ignored) != 0)
        {
            ForgetDirectory(record.Wd, directory, batch);
            return;
        }
        if ((record.Mask & Inotify.MoveSelf) != 0)
        {
            // A moved directory keeps its watch under a path that no longer names it: drop it (IN_IGNORED follows).
            Inotify.RemoveWatch(_fd, record.Wd);
            return;
        }
        if (record.Name.IsEmpty)
        {
            return;
        }
        var name = Encoding.UTF8.GetString(record.Name);
        foreach (var target in _targets)
        {
            if (!string.Equals(target.Directory, directory, StringComparison.Ordinal) || !target.Accepts(name))
            {
                continue;
            }
            batch.Paths.Add(target.IsFile ? target.Path : Path.Join(directory, name));
            if (target.IsFile)
            {
                if ((record.Mask & (Inotify.Create | Inotify.MovedTo)) != 0)
                {
                    WatchFile(target.Path);
                }
                else if ((record.Mask & Inotify.MovedFrom) != 0 && _wdByFile.Remove(target.Path, out var wd))
                {
                    // The watch follows the moved inode; the file at this path is now another one (or none).
                    _fileByWd.Remove(wd);
                    Inotify.RemoveWatch(_fd, wd);
                }
            }
        }
    }

    private void ForgetDirectory(int wd, string directory, WatchBatch batch)
    {
        _directoryByWd.Remove(wd);
        _wdByDirectory.Remove(directory);
        foreach (var target in _targets.Where(t => string.Equals(t.Directory, directory, StringComparison.Ordinal)
            || (_aliasOf.TryGetValue(t.Directory, out var of) && string.Equals(of, directory, StringComparison.Ordinal))))
        {
            _watched.Remove(target);
            (target.IsFile ? batch.Paths : batch.Directories).Add(target.Path);
        }
        foreach (var alias in _aliasOf.Where(a => string.Equals(a.Value, directory, StringComparison.Ordinal)).Select(a => a.Key).ToList())
        {
            _aliasOf.Remove(alias);
        }
    }

    private bool IsWatched(WatchTarget target) => _watched.Contains(target);

    private bool WatchDirectory(string directory, uint mask, out bool alias)
    {
        alias = false;
        var wd = Inotify.AddWatch(_fd, directory, mask | MaskAdd, out var errno);
        if (wd < 0)
        {
            LimitReached |= errno == Errno.ENOSPC;
            return false;
        }
        if (_directoryByWd.TryGetValue(wd, out var existing) && !string.Equals(existing, directory, StringComparison.Ordinal))
        {
            _aliasOf[directory] = existing;
            alias = true;
            return true;
        }
        _directoryByWd[wd] = directory;
        _wdByDirectory[directory] = wd;
        return true;
    }

    private bool WatchFile(string path)
    {
        var wd = Inotify.AddWatch(_fd, path, FileMask | MaskAdd, out var errno);
        if (wd < 0)
        {
            LimitReached |= errno == Errno.ENOSPC;
            return false;
        }
        if (_wdByFile.TryGetValue(path, out var old) && old != wd)
        {
            _fileByWd.Remove(old);
            Inotify.RemoveWatch(_fd, old);
        }
        _fileByWd[wd] = path;
        _wdByFile[path] = wd;
        return true;
    }

    public void Dispose() => _fd.Dispose();
}
