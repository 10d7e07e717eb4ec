using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// The enrichment thread of the process sensor: turns the reader's fork, exec and exit records into ProcessStart and
/// ProcessStop events through the process table, keeps the identity of every process it has seen so a start and its
/// stop carry the same UniquePID, and runs the library-load reads between events. Owns all of its state.
/// </summary>
internal sealed partial class ProcessEventWorker
{
    private const int MaxTimerWorkPerEvent = 4;
    private const uint SetIdBits = 0xC00;
    // Also how long an event queued without a wake-up (see EventHandoff.TryAdd) waits at most.
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
    private readonly EnvironmentRedaction _redaction;

    public ProcessEventWorker(SensorContext context, ProcessSensorOptions options, ProcessSensorCounters counters, CaptureBuffers buffers)
    {
        _buffers = buffers;
        _redaction = new EnvironmentRedaction(context.Options.EnvironmentRedaction);
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
        // Most forks execute, and most execs of short-lived programs exit, long before their timers are due: drop those
        // timers here rather than wake up for them.
        while (_forkAnnouncements.TryPeek(out var head) && !IsAnnouncementPending(head.Pid, head.UniquePid, out _))
        {
            _forkAnnouncements.Dequeue();
        }
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
            if (IsAnnouncementPending(due.Pid, due.UniquePid, out var t))
            {
                AnnounceFork(t, t.ForkTimestampNs);
                announced++;
            }
        }
        _modules?.RunDue(now, MaxTimerWorkPerEvent);
    }

    /// <summary>Whether the process forked as <paramref name="uniquePid"/> is still tracked and has neither executed nor been announced.</summary>
    private bool IsAnnouncementPending(int pid, string uniquePid, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrackedProcess? t) =>
        _tracked.TryGetValue(pid, out t) && t.UniquePid == uniquePid && !t.Announced && !t.KernelThread;

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
}
