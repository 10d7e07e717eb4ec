using System.Collections.Concurrent;
using System.Globalization;

namespace Osprey.Detection.Yara;

/// <summary>
/// Scans files and directory trees. The walk opens every entry relative to its directory with O_NOFOLLOW, so it never
/// leaves the tree through a symbolic link, and only regular files are opened for scanning (never device files,
/// FIFOs or sockets). The walk (on the calling thread) feeds a bounded queue that the scanning threads (each with its
/// own <see cref="YaraScanner"/>) drain, as <c>yara -p N</c> does. <c>onFile</c> is called once per file, one call at a time.
/// </summary>
public static class YaraTreeScan
{
    private const int Efbig = 27;
    private const int Enotdir = 20;
    private const int FileFlags = YaraPosix.OReadOnly | YaraPosix.ONoFollow | YaraPosix.ONonBlock | YaraPosix.OCloExec | YaraPosix.ONoCtty;
    private const int DirectoryFlags = YaraPosix.OReadOnly | YaraPosix.ODirectory | YaraPosix.ONoFollow | YaraPosix.OCloExec;

    public static YaraTreeSummary Run(YaraRules rules, YaraTreeOptions options, Action<YaraFileResult> onFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(options);
        var sink = new Sink(onFile);
        var threads = Math.Clamp(options.Threads, 1, 64);
        using var queue = new BlockingCollection<Work>(boundedCapacity: threads * 64);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() => Drain(rules, options, queue, sink, stop))
        {
            IsBackground = true,
            Name = "yara-scan",
        }).ToList();
        workers.ForEach(w => w.Start());
        try
        {
            Walk(options, work =>
            {
                try
                {
                    queue.Add(work, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    YaraPosix.Close(work.Fd);
                    throw;
                }
            }, sink, stop.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A scanning thread failed and stopped the walk: its exception is the one to throw.
        }
        finally
        {
            queue.CompleteAdding();
            workers.ForEach(w => w.Join());
            while (queue.TryTake(out var left))
            {
                YaraPosix.Close(left.Fd);
            }
        }
        sink.ThrowIfFailed();
        cancellationToken.ThrowIfCancellationRequested();
        return sink.Summary;
    }

    private static void Drain(YaraRules rules, YaraTreeOptions options, BlockingCollection<Work> queue, Sink sink, CancellationTokenSource stop)
    {
        try
        {
            using var scanner = rules.CreateScanner(options.Scan);
            foreach (var work in queue.GetConsumingEnumerable())
            {
                if (stop.IsCancellationRequested)
                {
                    YaraPosix.Close(work.Fd);
                    continue;
                }
                Scan(scanner, work, sink);
            }
        }
        catch (Exception e)
        {
            sink.Fail(e);
            stop.Cancel();
            foreach (var work in queue.GetConsumingEnumerable())
            {
                YaraPosix.Close(work.Fd);
            }
        }
    }

    private static void Scan(YaraScanner scanner, Work work, Sink sink)
    {
        try
        {
            var outcome = scanner.ScanDescriptor(work.Fd, YaraScanner.FileExternals(work.Fd, work.Path, work.Uid));
            sink.Report(outcome.Succeeded
                ? new YaraFileResult(work.Path, work.Size, outcome.Hits)
                : new YaraFileResult(work.Path, work.Size, outcome.Hits, outcome.Error, outcome.ErrorMessage, YaraError: true), work.Size);
        }
        finally
        {
            YaraPosix.Close(work.Fd);
        }
    }

    private static void Walk(YaraTreeOptions options, Action<Work> scan, Sink sink, CancellationToken cancellationToken)
    {
        var exclude = options.Exclude.Select(Normalize).ToList();
        foreach (var root in options.Paths.Select(Normalize).Distinct(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Excluded(root, exclude))
            {
                continue;
            }
            // The named path itself may be a link (the operator chose it); below it nothing is followed.
            if (YaraPosix.Stat(YaraPosix.AtFdCwd, root, 0, out var errno) is not { } status)
            {
                sink.Report(Failed(root, errno, "cannot be read"));
                continue;
            }
            if ((status.Mode & YaraPosix.SIfMt) == YaraPosix.SIfDir)
            {
                var fd = YaraPosix.OpenAt(YaraPosix.AtFdCwd, root, YaraPosix.OReadOnly | YaraPosix.ODirectory | YaraPosix.OCloExec);
                if (fd < 0)
                {
                    sink.Report(Failed(root, System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), "cannot be opened"));
                    continue;
                }
                WalkDirectory(fd, root, options, exclude, scan, sink, cancellationToken);
            }
            else if ((status.Mode & YaraPosix.SIfMt) == YaraPosix.SIfReg)
            {
                OpenFile(YaraPosix.AtFdCwd, root, root, options, scan, sink, followLink: true);
            }
            else
            {
                sink.Report(Failed(root, Enotdir, "is neither a regular file nor a directory; not scanned"));
            }
        }
    }

    /// <summary>Walks the directory open as <paramref name="rootFd"/> (closed here) depth first, one open directory per level.</summary>
    private static void WalkDirectory(int rootFd, string rootPath, YaraTreeOptions options, List<string> exclude, Action<Work> scan, Sink sink, CancellationToken cancellationToken)
    {
        var pending = new Stack<(int Fd, string Path)>();
        pending.Push((rootFd, rootPath));
        try
        {
            while (pending.TryPop(out var directory))
            {
                try
                {
                    var entries = YaraPosix.List(directory.Fd, out var errno);
                    if (entries is null)
                    {
                        sink.Report(Failed(directory.Path, errno, "cannot be listed"));
                        continue;
                    }
                    foreach (var (name, type) in entries)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var path = directory.Path.EndsWith('/') ? directory.Path + name : directory.Path + "/" + name;
                        if (Excluded(path, exclude))
                        {
                            continue;
                        }
                        var kind = type;
                        if (kind == YaraPosix.DtUnknown)
                        {
                            // Some file systems leave d_type unset.
                            kind = YaraPosix.Stat(directory.Fd, name, YaraPosix.AtSymlinkNoFollow, out _) is { } s
                                ? (s.Mode & YaraPosix.SIfMt) switch { YaraPosix.SIfDir => YaraPosix.DtDirectory, YaraPosix.SIfReg => YaraPosix.DtRegular, _ => (byte)255 }
                                : (byte)255;
                        }
                        if (kind == YaraPosix.DtRegular)
                        {
                            OpenFile(directory.Fd, name, path, options, scan, sink, followLink: false);
                        }
                        else if (kind == YaraPosix.DtDirectory && options.Recursive)
                        {
                            var fd = YaraPosix.OpenAt(directory.Fd, name, DirectoryFlags);
                            if (fd < 0)
                            {
                                sink.Report(Failed(path, System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), "cannot be opened"));
                                continue;
                            }
                            pending.Push((fd, path));
                        }
                    }
                }
                finally
                {
                    YaraPosix.Close(directory.Fd);
                }
            }
        }
        finally
        {
            while (pending.TryPop(out var left))
            {
                YaraPosix.Close(left.Fd);
            }
        }
    }

    private static void OpenFile(int dirFd, string name, string path, YaraTreeOptions options, Action<Work> scan, Sink sink, bool followLink)
    {
        var fd = YaraPosix.OpenAt(dirFd, name, followLink ? FileFlags & ~YaraPosix.ONoFollow : FileFlags);
        if (fd < 0)
        {
            sink.Report(Failed(path, System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), "cannot be opened"));
            return;
        }
        var handed = false;
        try
        {
            if (YaraPosix.Stat(fd, "", YaraPosix.AtEmptyPath, out var errno) is not { } status)
            {
                sink.Report(Failed(path, errno, "cannot be read"));
                return;
            }
            if ((status.Mode & YaraPosix.SIfMt) != YaraPosix.SIfReg)
            {
                // Replaced by something else since it was listed.
                return;
            }
            if (options.MaxFileSize > 0 && status.Size > options.MaxFileSize)
            {
                sink.Report(new YaraFileResult(path, status.Size, [], Efbig,
                    string.Create(CultureInfo.InvariantCulture, $"{status.Size} bytes, over the limit of {options.MaxFileSize}; not scanned")));
                return;
            }
            handed = true;
            scan(new Work(fd, path, status.Size, status.Uid));
        }
        finally
        {
            if (!handed)
            {
                YaraPosix.Close(fd);
            }
        }
    }

    private static YaraFileResult Failed(string path, int errno, string what) =>
        new(path, 0, [], errno == 0 ? 5 : errno, string.Create(CultureInfo.InvariantCulture, $"{what} (errno {errno})"));

    private static string Normalize(string path)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            throw new ArgumentException($"the path must be absolute, not '{path}'", nameof(path));
        }
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }

    private static bool Excluded(string path, List<string> exclude)
    {
        foreach (var prefix in exclude)
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/' || prefix == "/"))
            {
                return true;
            }
        }
        return false;
    }

    private readonly record struct Work(int Fd, string Path, long Size, uint Uid);

    /// <summary>Serialises the calls of onFile and counts.</summary>
    private sealed class Sink(Action<YaraFileResult> onFile)
    {
        private readonly Lock _gate = new();
        private long _scanned;
        private long _bytes;
        private long _matched;
        private long _errors;
        private Exception? _failure;

        public YaraTreeSummary Summary => new(_scanned, _bytes, _matched, _errors);

        public void Report(YaraFileResult result, long bytes = 0)
        {
            lock (_gate)
            {
                if (result.Scanned || result.YaraError)
                {
                    _scanned++;
                    _bytes += bytes;
                }
                if (!result.Scanned)
                {
                    _errors++;
                }
                if (result.Hits.Count > 0)
                {
                    _matched++;
                }
                onFile(result);
            }
        }

        public void Fail(Exception e)
        {
            lock (_gate)
            {
                _failure ??= e;
            }
        }

        public void ThrowIfFailed()
        {
            if (_failure is { } e)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e);
            }
        }
    }
}
