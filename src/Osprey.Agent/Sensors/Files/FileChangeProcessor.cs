using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// Turns resolved changes into events, in kernel order, on one thread. A new regular file waits (up to
/// <see cref="FileSensorOptions.CreateHold"/>) for its close-after-write so its create event carries the content's
/// hashes; repeated writes to one file are coalesced to one event per <see cref="FileSensorOptions.CoalesceWindow"/>;
/// a delete or rename first reports whatever is pending for the same file. Files are opened by their kernel
/// handle, never by path, so what is hashed is the object the kernel reported even if it was renamed meanwhile.
/// </summary>
internal sealed partial class FileChangeProcessor
{
    private readonly SensorContext _context;
    private readonly FileSensorOptions _options;
    private readonly FileEventFactory _events;
    private readonly HashBudget _budget;
    private readonly TimeProvider _time;
    private readonly long _holdTicks;
    private readonly long _windowTicks;
    private readonly Dictionary<byte[], PendingFile> _pending = new(ByteKeyComparer.Instance);
    private readonly PriorityQueue<PendingFile, long> _due = new();
    private readonly Dictionary<byte[], KnownFile> _known = new(ByteKeyComparer.Instance);

    public FileChangeProcessor(SensorContext context, FileSensorOptions options)
    {
        _context = context;
        _options = options;
        _events = new FileEventFactory(context.Processes);
        _time = context.Time;
        _budget = new HashBudget(options.HashBytesPerSecond, context.Hasher.MaxBytes, _time);
        _holdTicks = Ticks(options.CreateHold);
        _windowTicks = Ticks(options.CoalesceWindow);
    }

    /// <summary>Files reported without hashes because the hashing budget was spent.</summary>
    public long HashesSkipped => _budget.Skipped;

    public int Pending => _pending.Count;

    /// <summary>How long until the next pending file is due; null when none is pending.</summary>
    public TimeSpan? NextDue()
    {
        while (_due.TryPeek(out var file, out var due))
        {
            if (IsCurrent(file, due))
            {
                var wait = due - _time.GetTimestamp();
                return wait <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)wait / _time.TimestampFrequency);
            }
            _due.Dequeue();
        }
        return null;
    }

    public void Handle(FileChange change)
    {
        switch (change.Kind)
        {
            case FileChangeKind.Create:
                OnCreate(change);
                break;
            case FileChangeKind.CloseWrite:
                OnCloseWrite(change);
                break;
            case FileChangeKind.Delete:
                OnDelete(change);
                break;
            case FileChangeKind.Rename:
                OnRename(change);
                break;
        }
    }

    /// <summary>Reports every pending file whose time has come.</summary>
    public void FlushDue()
    {
        var now = _time.GetTimestamp();
        while (_due.TryPeek(out var file, out var due) && due <= now)
        {
            _due.Dequeue();
            if (IsCurrent(file, due))
            {
                Flush(file, hash: true);
            }
        }
    }

    /// <summary>Reports everything still pending, without hashing (the sensor is stopping).</summary>
    public void FlushAll()
    {
        while (_due.TryDequeue(out var file, out var due))
        {
            if (IsCurrent(file, due))
            {
                Flush(file, hash: false);
            }
        }
        _pending.Clear();
    }

    private void OnCreate(FileChange change)
    {
        var status = Stat(change);
        Remember(change.Key, status, contentReported: false);
        if (status is not { IsRegularFile: true })
        {
            Emit(EventType.FileCreate, change, status, null, onDisk: status is not null);
            return;
        }
        if (_pending.TryGetValue(change.Key, out var earlier))
        {
            Flush(earlier, hash: true);
        }
        // A new hard link names content that is already complete; so does a create merged with its close-write.
        var complete = change.Written || status.LinkCount > 1;
        var now = _time.GetTimestamp();
        Schedule(new PendingFile(change.Key, change, isCreate: true) { Written = complete }, complete ? now : now + _holdTicks);
    }

    private void OnCloseWrite(FileChange change)
    {
        var now = _time.GetTimestamp();
        if (_pending.TryGetValue(change.Key, out var pending))
        {
            if (pending.Change.Pid == change.Pid)
            {
                if (pending.IsCreate && !pending.Written)
                {
                    // The new file's content is complete: report its creation with hashes now.
                    pending.Written = true;
                    Schedule(pending, now);
                }
                else if (!pending.IsCreate)
                {
                    pending.Change = change;
                }
                return;
            }
            // Another writer: report the first one's change before starting on the second.
            Flush(pending, hash: true);
        }
        var due = now;
        if (_known.TryGetValue(change.Key, out var known) && known.LastContentReport is { } last)
        {
            due = Math.Max(now, last + _windowTicks);
        }
        Schedule(new PendingFile(change.Key, change, isCreate: false) { Written = true }, due);
    }

    private void OnDelete(FileChange change)
    {
        if (_pending.TryGetValue(change.Key, out var pending))
        {
            Flush(pending, hash: true);
        }
        _known.Remove(change.Key, out var known);
        Emit(EventType.FileDelete, change, known?.Status, null, onDisk: false);
    }

    private void OnRename(FileChange change)
    {
        if (_pending.TryGetValue(change.Key, out var pending))
        {
            Flush(pending, hash: true);
        }
        var (status, hashes) = HashOrStat(change);
        Remember(change.Key, status, contentReported: hashes is not null);
        Emit(EventType.FileRename, change, status, hashes, onDisk: status is not null);
    }

    private void Flush(PendingFile file, bool hash)
    {
        _pending.Remove(file.Key);
        file.Due = long.MinValue;
        var type = file.IsCreate ? EventType.FileCreate : EventType.FileModify;
        // A create still open for writing is reported without hashes: they would describe half-written content.
        var (status, hashes) = hash && file.Written ? HashOrStat(file.Change) : (Stat(file.Change), null);
        if (!file.IsCreate && status is null or { LinkCount: 0 })
        {
            // Written after (or while) it was unlinked: its delete is reported already and it has no path left.
            return;
        }
        var onDisk = status is not null;
        // Gone already (deleted right after it was written): what was seen at its creation is the best left.
        status ??= _known.GetValueOrDefault(file.Key)?.Status;
        Remember(file.Key, status, contentReported: file.Written);
        Emit(type, file.Change, status, hashes, onDisk);
    }

    private void Schedule(PendingFile file, long due)
    {
        if (!_pending.ContainsKey(file.Key))
        {
            while (_pending.Count >= _options.MaxPendingFiles && _due.TryDequeue(out var oldest, out var oldestDue))
            {
                if (IsCurrent(oldest, oldestDue))
                {
                    Flush(oldest, hash: true);
                }
            }
            _pending[file.Key] = file;
        }
        file.Due = due;
        _due.Enqueue(file, due);
        // Rescheduling leaves stale queue entries behind; drop them before they add up.
        if (_due.Count > 4 * _options.MaxPendingFiles + 16)
        {
            var current = _pending.Values.Select(p => (p, p.Due)).ToList();
            _due.Clear();
            _due.EnqueueRange(current);
        }
    }

    private bool IsCurrent(PendingFile file, long due) =>
        file.Due == due && _pending.TryGetValue(file.Key, out var current) && ReferenceEquals(current, file);

    private void Remember(byte[] key, FileStatus? status, bool contentReported)
    {
        if (status is null)
        {
            return;
        }
        if (!_known.TryGetValue(key, out var known))
        {
            if (_known.Count >= _options.KnownFiles)
            {
                _known.Clear();
            }
            known = new KnownFile();
            _known[key] = known;
        }
        known.Status = status;
        if (contentReported)
        {
            known.LastContentReport = _time.GetTimestamp();
        }
    }

    private void Emit(EventType type, FileChange change, FileStatus? status, FileHashes? hashes, bool onDisk) =>
        _context.Emit(_events.Create(type, change, status, hashes, onDisk));

    /// <summary>The file's status now, through its handle (or its path when the kernel gave no handle).</summary>
    private static FileStatus? Stat(FileChange change)
    {
        if (change.Filesystem is null)
        {
            return Libc.Stat(change.Path, followLinks: false, out _);
        }
        using var handle = change.Filesystem.OpenByHandle(change.Key.AsSpan(8), FileHandles.OpenPath, out _);
        return handle is null ? null : Libc.Stat(handle, out _);
    }

    /// <summary>Hashes a regular file within the size bound and the budget; otherwise only its status.</summary>
    private (FileStatus? Status, FileHashes? Hashes) HashOrStat(FileChange change)
    {
        var status = Stat(change);
        if (status is not { IsRegularFile: true } || status.Size > _context.Hasher.MaxBytes || !_budget.TryTake(status.Size))
        {
            return (status, null);
        }
        if (change.Filesystem is null)
        {
            return (status, _context.Hasher.TryHash(change.Path));
        }
        // O_NOATIME: the agent's reads must not disturb the access times forensics relies on.
        const int flags = FileHandles.OpenReadOnly | FileHandles.OpenNonBlocking | FileHandles.OpenNoFollow;
        var handle = change.Filesystem.OpenByHandle(change.Key.AsSpan(8), flags | FileHandles.OpenNoAccessTime, out var errno);
        if (handle is null && errno == Errno.EPERM)
        {
            handle = change.Filesystem.OpenByHandle(change.Key.AsSpan(8), flags, out _);
        }
        using (handle)
        {
            return handle is null ? (status, null) : (status, _context.Hasher.TryHash(handle));
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed class PendingFile(byte[] key, FileChange change, bool isCreate)
    {
        public byte[] Key { get; } = key;

        public bool IsCreate { get; } = isCreate;

        public FileChange Change { get; set; } = change;

        public bool Written { get; set; }

        public long Due { get; set; }
    }

    private sealed class KnownFile
    {
        public FileStatus? Status { get; set; }

        public long? LastContentReport { get; set; }
    }
}
