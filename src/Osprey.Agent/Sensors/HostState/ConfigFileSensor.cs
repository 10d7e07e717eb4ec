using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// The shape shared by the sensors of configuration files (crontabs, timer and service units): a snapshot of
/// what every watched file defines, taken silently at start, and compared again whenever inotify reports a
/// file or a directory changed; each difference is one created, modified or deleted event. A lost inotify
/// queue (IN_Q_OVERFLOW) is counted and answered by comparing everything again.
/// </summary>
public abstract class ConfigFileSensor<TItem> : ISensor
    where TItem : class
{
    /// <summary>Most files remembered; beyond it new files are not tracked (and the loss is counted).</summary>
    public const int MaxFiles = 16_384;

    /// <summary>Most items one file may define; more are ignored.</summary>
    public const int MaxItemsPerFile = 1024;

    /// <summary>Most items remembered over all files (the snapshot's memory bound).</summary>
    public const int MaxItems = 65_536;

    /// <summary>Most entries read from one directory.</summary>
    public const int MaxDirectoryEntries = 16_384;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    // Editors and package managers write a file in several steps; wait for the writes to stop before reading.
    private static readonly TimeSpan SettleInterval = TimeSpan.FromMilliseconds(75);
    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, IReadOnlyList<TItem>> _snapshot = new(StringComparer.Ordinal);
    private int _items;
    private DirectoryWatcher? _watcher;

    public abstract string Name { get; }

    /// <summary>The directories and files to watch at start.</summary>
    protected abstract IEnumerable<WatchTarget> InitialTargets();

    /// <summary>What the file defines now; empty when it is gone or defines nothing.</summary>
    protected abstract IReadOnlyList<TItem> Parse(SensorContext context, string path);

    /// <summary>Equal for the purposes of a change event (a job that only moved to another line is unchanged).</summary>
    protected abstract bool SameContent(TItem a, TItem b);

    /// <summary>
    /// Ways an item before a change and one after it are the same configured object, strongest first: a pair
    /// found by any of them is one modification rather than a deletion and a creation.
    /// </summary>
    protected abstract IReadOnlyList<Func<TItem, TItem, bool>> Pairings { get; }

    protected abstract Event ToEvent(SensorContext context, ChangeOperation operation, TItem item, TItem? previous);

    /// <summary>The files to read again when <paramref name="path"/> changed (itself, or files that depend on it).</summary>
    protected virtual IEnumerable<string> Affected(string path) => [path];

    /// <summary>Paths whose items are known now (for <see cref="Affected"/> overrides).</summary>
    protected IEnumerable<string> KnownPaths => _snapshot.Keys;

    /// <summary>Starts watching another target (a directory that appeared); false at the bound.</summary>
    protected bool AddTarget(WatchTarget target) => _watcher?.Add(target) ?? false;

    public Task RunAsync(SensorContext context, CancellationToken cancellationToken) =>
        ReaderThread.Run(Name, context, () => Run(context, cancellationToken), cancellationToken);

    private void Run(SensorContext context, CancellationToken cancellationToken)
    {
        _snapshot.Clear();
        _items = 0;
        using var watcher = new DirectoryWatcher(InitialTargets());
        _watcher = watcher;
        using var waiter = new DescriptorWaiter(cancellationToken);
        var batch = new WatchBatch();
        var buffer = new byte[64 * 1024];
        watcher.Refresh(batch);
        Apply(context, watcher, batch, emit: false);
        context.Health.SetState(SensorState.Running);
        var limitLogged = false;
        while (true)
        {
            var revents = waiter.Wait(watcher.Handle, Poll.In, watcher.HasMissing ? RetryInterval : Timeout.InfiniteTimeSpan);
            batch.Clear();
            if ((revents & Poll.In) != 0 && watcher.Drain(batch, buffer))
            {
                var settled = TimeSpan.Zero;
                while (settled < MaxSettle && (waiter.Wait(watcher.Handle, Poll.In, SettleInterval) & Poll.In) != 0)
                {
                    watcher.Drain(batch, buffer);
                    settled += SettleInterval;
                }
            }
            watcher.Refresh(batch);
            if (batch.Overflowed)
            {
                context.Health.ReportLoss(1, "the inotify queue overflowed; every watched file is compared again");
                HostStateLog.EventsLost(context.Logger, Name, "inotify queue overflow");
            }
            if (watcher.LimitReached && !limitLogged)
            {
                limitLogged = true;
                HostStateLog.WatchLimitReached(context.Logger, Name);
            }
            Apply(context, watcher, batch, emit: true);
        }
    }

    private void Apply(SensorContext context, DirectoryWatcher watcher, WatchBatch batch, bool emit)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in batch.Directories)
        {
            foreach (var target in watcher.Targets.Where(t => !t.IsFile && string.Equals(t.Path, directory, StringComparison.Ordinal)))
            {
                if (watcher.IsScannable(target))
                {
                    foreach (var entry in List(directory).Where(e => target.Accepts(Path.GetFileName(e))))
                    {
                        paths.Add(entry);
                    }
                }
            }
            // Files known in the directory are compared too: those gone are deletions.
            paths.UnionWith(_snapshot.Keys.Where(k => string.Equals(Path.GetDirectoryName(k), directory, StringComparison.Ordinal)));
        }
        paths.UnionWith(batch.Paths);
        var affected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            affected.UnionWith(Affected(path));
        }
        foreach (var path in affected.Order(StringComparer.Ordinal))
        {
            Update(context, path, emit);
        }
    }

    private void Update(SensorContext context, string path, bool emit)
    {
        var now = Parse(context, path);
        if (now.Count > MaxItemsPerFile)
        {
            now = [.. now.Take(MaxItemsPerFile)];
        }
        _snapshot.TryGetValue(path, out var before);
        before ??= [];
        _items -= before.Count;
        if (now.Count == 0)
        {
            _snapshot.Remove(path);
        }
        else if ((_snapshot.ContainsKey(path) || _snapshot.Count < MaxFiles) && _items + now.Count <= MaxItems)
        {
            _snapshot[path] = now;
            _items += now.Count;
        }
        else
        {
            // Not remembered: its changes are reported as if it were new each time, and the gap is counted.
            _snapshot.Remove(path);
            context.Health.ReportLoss(1, "too many configuration files or jobs to track");
        }
        if (emit)
        {
            Diff(context, before, now);
        }
    }

    /// <summary>Unchanged items cancel out; the rest pair up (modified) by the pairings in order; what is left was created or deleted.</summary>
    private void Diff(SensorContext context, IReadOnlyList<TItem> before, IReadOnlyList<TItem> now)
    {
        var removed = before.ToList();
        var added = new List<TItem>();
        foreach (var item in now)
        {
            var same = removed.FindIndex(r => SameContent(r, item));
            if (same >= 0)
            {
                removed.RemoveAt(same);
            }
            else
            {
                added.Add(item);
            }
        }
        var modified = new List<(TItem Item, TItem Previous)>();
        foreach (var pairing in Pairings)
        {
            foreach (var item in added.ToList())
            {
                var previous = removed.FindIndex(r => pairing(r, item));
                if (previous >= 0)
                {
                    modified.Add((item, removed[previous]));
                    removed.RemoveAt(previous);
                    added.Remove(item);
                }
            }
        }
        foreach (var (item, previous) in modified)
        {
            context.Emit(ToEvent(context, ChangeOperation.Modified, item, previous));
        }
        foreach (var item in added)
        {
            context.Emit(ToEvent(context, ChangeOperation.Created, item, null));
        }
        foreach (var item in removed)
        {
            context.Emit(ToEvent(context, ChangeOperation.Deleted, item, null));
        }
    }

    private static List<string> List(string directory)
    {
        try
        {
            return [.. Directory.EnumerateFileSystemEntries(directory).Take(MaxDirectoryEntries)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Reads a configuration file as text, bounded; null when it is not a regular file (through links) or cannot be read.</summary>
    protected static string? ReadText(string path, int maxBytes)
    {
        try
        {
            var info = new FileInfo(path);
            var target = info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo;
            if (target is not { Exists: true } || target.Length > maxBytes || (target.Attributes & FileAttributes.Directory) != 0)
            {
                return null;
            }
            if (Libc.Stat(target.FullName, followLinks: true, out _) is not { IsRegularFile: true })
            {
                return null;
            }
            return File.ReadAllText(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
