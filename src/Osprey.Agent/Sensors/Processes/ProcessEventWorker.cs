using System.Text;
using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// The enrichment thread of the process sensor: turns the reader's fork, exec and exit records into ProcessStart and
/// ProcessStop events through the process table, keeps the identity of every process it has seen so a start and its
/// stop carry the same UniquePID, and runs the library-load reads between events. Owns all of its state.
/// </summary>
internal sealed class ProcessEventWorker
{
    private const int MaxTimerWorkPerEvent = 4;
    private const uint SetIdBits = 0xC00;
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(250);
    private readonly SensorContext _context;
    private readonly ProcessSensorOptions _options;
    private readonly ProcessSensorCounters _counters;
    private readonly KernelTime _clock;
    private readonly ProcessEventFactory _factory;
    private readonly ModuleTracker? _modules;
    private readonly Dictionary<int, TrackedProcess> _tracked = [];
    private readonly Queue<(int Pid, string UniquePid, long DueNs)> _forkAnnouncements = new();
    private readonly long _forkAnnounceDelayNs;
    private readonly CaptureBuffers _buffers;
    private readonly System.Text.RegularExpressions.Regex? _redaction;

    public ProcessEventWorker(SensorContext context, ProcessSensorOptions options, ProcessSensorCounters counters, CaptureBuffers buffers)
    {
        _buffers = buffers;
        _redaction = Globs.ToRegex(context.Options.EnvironmentRedaction);
        _context = context;
        _options = options;
        _counters = counters;
        _clock = new KernelTime(context.Time);
        _factory = new ProcessEventFactory(context);
        _forkAnnounceDelayNs = (long)options.ForkAnnounceDelay.TotalNanoseconds;
        if (options.ModuleLoads)
        {
            _modules = new ModuleTracker(context, options, counters, _factory, _clock, Resolve, Emit);
        }
    }

    public void Run(EventHandoff queue, CancellationToken cancellationToken)
    {
        if (_options.WorkerNice is { } nice)
        {
            // Best effort: the collections this thread triggers pause the reader too, so they should finish fast.
            ThreadScheduling.SetCurrentThreadNice(nice);
        }
        // Events that arrive meanwhile wait in the queue and the socket; processes they name are found either way.
        _context.Processes.Rescan();
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = WaitUntilNextTimer();
            if (queue.TryTake(out var e, wait))
            {
                try
                {
                    Handle(e);
                }
                finally
                {
                    if (e.Capture is { } capture)
                    {
                        _buffers.Return(capture);
                    }
                }
            }
            else if (queue.IsCompleted)
            {
                return;
            }
            RunTimers();
        }
    }

    private int WaitUntilNextTimer()
    {
        var now = _clock.MonotonicNowNs();
        var next = now + (long)IdleWait.TotalNanoseconds;
        if (_forkAnnouncements.TryPeek(out var fork))
        {
            next = Math.Min(next, fork.DueNs);
        }
        if (_modules is not null)
        {
            next = Math.Min(next, _modules.NextDueNs(now));
        }
        return (int)Math.Clamp((next - now + 999_999) / 1_000_000, 0, (long)IdleWait.TotalMilliseconds);
    }

    private void RunTimers()
    {
        var now = _clock.MonotonicNowNs();
        var announced = 0;
        while (announced < MaxTimerWorkPerEvent && _forkAnnouncements.TryPeek(out var due) && due.DueNs <= now)
        {
            _forkAnnouncements.Dequeue();
            if (_tracked.TryGetValue(due.Pid, out var t) && t.UniquePid == due.UniquePid && !t.Announced && !t.KernelThread)
            {
                AnnounceFork(t, t.ForkTimestampNs);
                announced++;
            }
        }
        _modules?.RunDue(now, MaxTimerWorkPerEvent);
    }

    private void Handle(in ConnectorEvent e)
    {
        switch (e.Kind)
        {
            case ConnectorEventKind.Fork:
                OnFork(e);
                break;
            case ConnectorEventKind.Exec:
                OnExec(e);
                break;
            case ConnectorEventKind.Exit:
                OnExit(e);
                break;
            case ConnectorEventKind.CredentialsChanged or ConnectorEventKind.SessionChanged:
                OnChanged(e);
                break;
            case ConnectorEventKind.Loss:
                _context.Health.ReportLoss(e.LostCount, e.LossReason ?? "process events were lost");
                break;
        }
    }

    private void OnFork(in ConnectorEvent e)
    {
        var ticks = e.StartTicks >= 0 ? e.StartTicks : _clock.ToStartTicks(e.TimestampNs);
        var t = new TrackedProcess
        {
            Pid = e.Pid,
            ParentPid = e.ParentPid,
            StartTicks = e.StartTicks,
            UniquePid = _context.Processes.Identity.UniquePidOf(e.Pid, ticks),
            ForkTimestampNs = e.TimestampNs,
            KernelThread = e.KernelThread,
            // Kernel threads are not reported; their creator is always kthreadd.
            Parent = e.KernelThread ? null : Resolve(e.ParentPid),
        };
        Track(t);
        if (!t.KernelThread && _forkAnnouncements.Count < _options.MaxTrackedProcesses)
        {
            _forkAnnouncements.Enqueue((t.Pid, t.UniquePid, e.TimestampNs + _forkAnnounceDelayNs));
        }
    }

    private void OnExec(in ConnectorEvent e)
    {
        _tracked.TryGetValue(e.Pid, out var t);
        var ticks = e.StartTicks >= 0 ? e.StartTicks : t?.StartTicks ?? -1;
        var info = _context.Processes.Read(e.Pid);
        if (info is not null && ticks >= 0 && info.StartTicks != ticks)
        {
            info = null; // the PID already belongs to another process
        }
        var captured = e.CapturedArguments;
        var capturedExe = CapturedExe(e);
        if (info is not null && capturedExe is not null && info.ExePath is not null && info.ExePath != capturedExe)
        {
            // It executed another program before the table read it: that read belongs to the next exec event.
            info = null;
        }
        var complete = info is not null;
        var partial = info is null;
        if (info is null)
        {
            info = FromFirstLook(e, t, ticks);
            if (InheritedIdentity(t, info) is { } inherited)
            {
                info = inherited;
                complete = true;
            }
        }
        else if (info.Arguments.Count == 0 && captured.Length > 0)
        {
            // It exited while the table read it (a zombie keeps its IDs but not its memory or executable): the first
            // look still has the command line and the executable's path.
            var arguments = SplitNul(captured);
            var exe = info.ExePath ?? capturedExe;
            info = info with
            {
                Arguments = arguments,
                CommandLine = ProcFs.JoinCommandLine(arguments),
                Cwd = info.Cwd ?? (e.CapturedCwd.IsEmpty ? null : Encoding.UTF8.GetString(e.CapturedCwd)),
                Environment = info.Environment.Count > 0 ? info.Environment : CapturedEnvironment(e),
                ExePath = exe,
                Executable = info.Executable ?? (exe is null ? null : HashGone(exe, t?.ParentPid ?? info.ParentPid)),
            };
            partial = true;
        }
        else if (captured.Length > 0 && !SameArguments(captured, info.Arguments))
        {
            // Rewritten since (setproctitle) or the same program executed again: the arguments this exec had.
            var arguments = SplitNul(captured);
            info = info with { Arguments = arguments, CommandLine = ProcFs.JoinCommandLine(arguments) };
        }
        if (partial)
        {
            Interlocked.Increment(ref _counters.PartialStartsField);
        }
        if (!complete)
        {
            Interlocked.Increment(ref _counters.StartsWithoutCredentialsField);
        }
        if (info.Arguments.Count == 0)
        {
            Interlocked.Increment(ref _counters.StartsWithoutCommandLineField);
        }
        if (t is null)
        {
            t = new TrackedProcess { Pid = e.Pid, ParentPid = info.ParentPid, StartTicks = info.StartTicks, UniquePid = info.UniquePid };
            t.Parent = Resolve(info.ParentPid);
            Track(t);
        }
        t.UniquePid = info.UniquePid;
        t.StartTicks = info.StartTicks;
        t.Info = info;
        t.Complete = complete;
        t.Executed = true;
        t.Announced = true;
        t.KernelThread = false;
        var parentUniquePid = t.Parent?.UniquePid ?? info.ParentUniquePid;
        Emit(_factory.Start(info, complete, t.Parent, t.ParentPid, parentUniquePid, "execve", _clock.ToUnixUs(e.TimestampNs)));
        Interlocked.Increment(ref _counters.StartsField);
        _modules?.OnExec(e.Pid, info.StartTicks, _clock.MonotonicNowNs());
    }

    /// <summary>The process as the reader saw it at the exec, when /proc no longer has it.</summary>
    private ProcessInfo FromFirstLook(in ConnectorEvent e, TrackedProcess? t, long ticks)
    {
        string uniquePid;
        if (ticks >= 0)
        {
            uniquePid = _context.Processes.Identity.UniquePidOf(e.Pid, ticks);
        }
        else if (t is not null)
        {
            // Gone before any read of its start time: the identity given at the fork (estimated from its timestamp).
            uniquePid = t.UniquePid;
            ticks = _clock.ToStartTicks(t.ForkTimestampNs);
        }
        else if (_context.Processes.Get(e.Pid) is { } earlier)
        {
            // Started before the sensor: an exec keeps the start time the table saw.
            uniquePid = earlier.UniquePid;
            ticks = earlier.StartTicks;
        }
        else
        {
            ticks = _clock.ToStartTicks(e.TimestampNs);
            uniquePid = _context.Processes.Identity.UniquePidOf(e.Pid, ticks);
        }
        var arguments = SplitNul(e.CapturedArguments);
        var exe = CapturedExe(e);
        return new ProcessInfo
        {
            Pid = e.Pid,
            ParentPid = t?.ParentPid ?? 0,
            UniquePid = uniquePid,
            ParentUniquePid = t?.Parent?.UniquePid,
            StartTicks = ticks,
            StartTimeUs = ProcFs.StartTimeUs(_context.Processes.Identity.BootTimeUs, ticks),
            Comm = exe is null ? "" : Path.GetFileName(exe),
            ExePath = exe,
            Arguments = arguments,
            CommandLine = ProcFs.JoinCommandLine(arguments),
            Cwd = e.CapturedCwd.IsEmpty ? null : Encoding.UTF8.GetString(e.CapturedCwd),
            Environment = CapturedEnvironment(e),
            Executable = exe is null ? null : HashGone(exe, t?.ParentPid ?? 0),
        };
    }

    /// <summary>
    /// Hashes the executable of a process that is gone, by its path as the parent sees the file system (the parent
    /// usually shares its mount namespace, also in a container), else as the agent does.
    /// </summary>
    private FileHashes? HashGone(string exe, int parentPid) =>
        (parentPid > 0 ? _context.Hasher.TryHash(string.Create(CultureInfo.InvariantCulture, $"{ProcFs.Root}/{parentPid}/root{exe}")) : null)
        ?? _context.Hasher.TryHash(exe);

    /// <summary>
    /// The credentials, session and terminal of a process gone before it was read, when they are known without reading:
    /// an exec keeps them unless the program is set-user-ID or set-group-ID, and the fork gave it its parent's unless a
    /// change was reported since (UID, GID and SID events). Null when that cannot be said.
    /// </summary>
    private ProcessInfo? InheritedIdentity(TrackedProcess? t, ProcessInfo info)
    {
        // Its own last read (a credentials change, a fork announcement) if it had one, else its parent at the fork.
        var basis = t is { Complete: true, Info: { } own } ? own : t is { Parent: { } parent, IdentityChanged: false } ? parent : null;
        if (basis is null)
        {
            return null;
        }
        var status = info.Executable?.Status ?? (info.ExePath is null ? null : Libc.Stat(info.ExePath, followLinks: true, out _));
        if (status is null || (status.Mode & SetIdBits) != 0)
        {
            return null;
        }
        return info with
        {
            Uid = basis.Uid,
            Euid = basis.Euid,
            Gid = basis.Gid,
            Egid = basis.Egid,
            LoginUid = basis.LoginUid,
            Session = basis.Session,
            AuditSession = basis.AuditSession,
            TtyNumber = basis.TtyNumber,
        };
    }

    private static string? CapturedExe(in ConnectorEvent e)
    {
        if (e.CapturedExe.IsEmpty)
        {
            return null;
        }
        var path = Encoding.UTF8.GetString(e.CapturedExe);
        return path.EndsWith(" (deleted)", StringComparison.Ordinal) ? path[..^" (deleted)".Length] : path;
    }

    /// <summary>The environment the first look read, redacted as the process table redacts it; empty when it was not read.</summary>
    private List<string> CapturedEnvironment(in ConnectorEvent e)
    {
        var environment = SplitNul(e.CapturedEnvironment);
        if (_redaction is not null)
        {
            for (var i = 0; i < environment.Count; i++)
            {
                var entry = environment[i];
                var equals = entry.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? entry : entry[..equals];
                if (_redaction.IsMatch(name))
                {
                    environment[i] = $"{name}={ProcessTable.Redacted}";
                }
            }
        }
        return environment;
    }

    private void OnExit(in ConnectorEvent e)
    {
        _tracked.Remove(e.Pid, out var t);
        _modules?.OnExit(e.Pid);
        if (t is not null && !t.Announced && !t.KernelThread)
        {
            AnnounceFork(t, t.ForkTimestampNs);
        }
        // After the announcement, whose read of the exiting process would otherwise stay in the table.
        var known = _context.Processes.Forget(e.Pid);
        // The reader's read at the exit exposes a table entry left from an earlier process with this PID.
        var ticks = t is { StartTicks: >= 0 } ? t.StartTicks : e.StartTicks >= 0 ? e.StartTicks : known?.StartTicks ?? -1;
        if (known is not null && ticks >= 0 && known.StartTicks != ticks)
        {
            known = null; // a stale entry of an earlier process with this PID
        }
        if (t?.KernelThread == true || (t is null && known?.IsKernelThread == true))
        {
            return;
        }
        ProcessInfo info;
        bool complete;
        if (t?.Info is { } last)
        {
            info = last;
            complete = t.Complete;
        }
        else if (known is not null)
        {
            info = known;
            complete = true;
        }
        else if (ticks >= 0 || t is not null)
        {
            info = Minimal(e.Pid, t, ticks);
            complete = false;
        }
        else
        {
            Interlocked.Increment(ref _counters.UnattributedExitsField);
            return;
        }
        var parent = t?.Parent;
        var parentPid = t?.ParentPid ?? info.ParentPid;
        var parentUniquePid = parent?.UniquePid ?? info.ParentUniquePid;
        if (parent is null && parentPid > 0 && Resolve(parentPid) is { } current && (parentUniquePid is null || current.UniquePid == parentUniquePid))
        {
            parent = current;
            parentUniquePid = current.UniquePid;
        }
        var status = e.ExitStatus;
        var signal = (int)(status & 0x7f);
        // A process killed by a signal gets the shell's convention, 128 + signal, next to the signal itself.
        var exitCode = signal == 0 ? (int)((status >> 8) & 0xff) : 128 + signal;
        Emit(_factory.Stop(info, complete, parent, parentPid, parentUniquePid, exitCode, signal, _clock.ToUnixUs(e.TimestampNs)));
        Interlocked.Increment(ref _counters.StopsField);
    }

    private ProcessInfo Minimal(int pid, TrackedProcess? t, long ticks)
    {
        if (ticks < 0)
        {
            ticks = _clock.ToStartTicks(t!.ForkTimestampNs);
        }
        return new ProcessInfo
        {
            Pid = pid,
            ParentPid = t?.ParentPid ?? 0,
            UniquePid = t?.UniquePid ?? _context.Processes.Identity.UniquePidOf(pid, ticks),
            ParentUniquePid = t?.Parent?.UniquePid,
            StartTicks = ticks,
            StartTimeUs = ProcFs.StartTimeUs(_context.Processes.Identity.BootTimeUs, ticks),
            Comm = "",
        };
    }

    /// <summary>
    /// A ProcessStart for a process that forked and did not execute: its image, arguments and environment are its
    /// parent's at the fork, which is what /proc shows while it lives and what the parent's entry holds after.
    /// </summary>
    private void AnnounceFork(TrackedProcess t, long timestampNs)
    {
        t.Announced = true;
        var read = _context.Processes.Read(t.Pid);
        if (read is not null && t.StartTicks >= 0 && read.StartTicks != t.StartTicks)
        {
            read = null;
        }
        var parent = t.Parent;
        // Credentials, session and terminal are inherited at fork and every change is reported (UID, GID and SID
        // events), so without such an event the parent's are the child's.
        var own = read ?? (t.Complete ? t.Info : null);
        var complete = own is not null || (parent is not null && !t.IdentityChanged);
        var info = read;
        if ((info is null || info.Arguments.Count == 0) && (own ?? parent) is { } basis && parent is not null)
        {
            var ticks = t.StartTicks >= 0 ? t.StartTicks : _clock.ToStartTicks(t.ForkTimestampNs);
            info = basis with
            {
                Pid = t.Pid,
                ParentPid = t.ParentPid,
                UniquePid = t.UniquePid,
                ParentUniquePid = parent.UniquePid,
                StartTicks = ticks,
                StartTimeUs = ProcFs.StartTimeUs(_context.Processes.Identity.BootTimeUs, ticks),
                ExePath = parent.ExePath,
                Executable = parent.Executable,
                Arguments = parent.Arguments,
                CommandLine = parent.CommandLine,
                Environment = own?.Environment is { Count: > 0 } environment ? environment : parent.Environment,
                Cwd = own?.Cwd ?? parent.Cwd,
            };
        }
        info ??= Minimal(t.Pid, t, t.StartTicks);
        t.Info = info;
        t.Complete = complete;
        Emit(_factory.Start(info, complete, parent, t.ParentPid, parent?.UniquePid ?? info.ParentUniquePid, "fork", _clock.ToUnixUs(timestampNs)));
        Interlocked.Increment(ref _counters.StartsField);
        Interlocked.Increment(ref _counters.ForkStartsField);
        if (read is null)
        {
            Interlocked.Increment(ref _counters.PartialStartsField);
        }
        if (!complete)
        {
            Interlocked.Increment(ref _counters.StartsWithoutCredentialsField);
        }
    }

    private void OnChanged(in ConnectorEvent e)
    {
        if (!_tracked.TryGetValue(e.Pid, out var t))
        {
            // Refresh the table's entry of a process that was running before the sensor started.
            _context.Processes.Read(e.Pid);
            return;
        }
        if (_context.Processes.Read(e.Pid) is { } info && (t.StartTicks < 0 || info.StartTicks == t.StartTicks))
        {
            t.Info = info;
            t.Complete = true;
        }
        else
        {
            // Gone before it could be read: what it inherited is no longer known to be what it has.
            t.IdentityChanged = true;
            t.Complete = false;
        }
    }

    /// <summary>The latest state of a live or tracked process, without a /proc read when the sensor already holds it.</summary>
    private ProcessInfo? Resolve(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }
        if (_tracked.TryGetValue(pid, out var t) && t.Info is { } info)
        {
            return info;
        }
        var read = _context.Processes.Get(pid);
        if (read is not null && t is null)
        {
            // Remember it, so the next fork of the same shell or service costs no read.
            Track(new TrackedProcess
            {
                Pid = pid,
                ParentPid = read.ParentPid,
                StartTicks = read.StartTicks,
                UniquePid = read.UniquePid,
                Executed = true,
                Announced = true,
                KernelThread = read.IsKernelThread,
                Info = read,
                Complete = true,
            });
        }
        return read;
    }

    private void Track(TrackedProcess t)
    {
        if (_tracked.Count >= _options.MaxTrackedProcesses && !_tracked.ContainsKey(t.Pid))
        {
            Prune();
        }
        _tracked[t.Pid] = t;
    }

    /// <summary>Drops processes whose exit was missed (lost events); bounded by the table's size, and rare.</summary>
    private void Prune()
    {
        List<int>? gone = null;
        foreach (var (pid, t) in _tracked)
        {
            if (ProcFs.ReadStat(pid) is not { } stat || (t.StartTicks >= 0 && stat.StartTicks != t.StartTicks))
            {
                (gone ??= []).Add(pid);
            }
        }
        if (gone is not null)
        {
            foreach (var pid in gone)
            {
                _tracked.Remove(pid);
            }
        }
        if (_tracked.Count >= _options.MaxTrackedProcesses)
        {
            _tracked.Clear();
        }
    }

    private void Emit(Event e) => _context.Emit(e);

    /// <summary>Whether the NUL-separated bytes are these arguments (comparing without decoding when they are ASCII).</summary>
    private static bool SameArguments(ReadOnlySpan<byte> bytes, IReadOnlyList<string> arguments)
    {
        // cmdline ends with a NUL after the last argument.
        if (!bytes.IsEmpty && bytes[^1] == 0)
        {
            bytes = bytes[..^1];
        }
        for (var i = 0; i < arguments.Count; i++)
        {
            var end = bytes.IndexOf((byte)0);
            var part = end < 0 ? bytes : bytes[..end];
            var argument = arguments[i].AsSpan();
            if (!(System.Text.Ascii.Equals(part, argument) || (!System.Text.Ascii.IsValid(part) && Encoding.UTF8.GetString(part).AsSpan().SequenceEqual(argument))))
            {
                return false;
            }
            if (end < 0)
            {
                return i == arguments.Count - 1;
            }
            bytes = bytes[(end + 1)..];
        }
        return bytes.IsEmpty;
    }

    private static List<string> SplitNul(ReadOnlySpan<byte> bytes)
    {
        var parts = new List<string>();
        while (!bytes.IsEmpty)
        {
            var end = bytes.IndexOf((byte)0);
            parts.Add(Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]));
            bytes = end < 0 ? [] : bytes[(end + 1)..];
        }
        return parts;
    }
}
