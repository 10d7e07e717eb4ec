using System.Buffers;
using System.Globalization;
using System.Text;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Reports shared objects mapped into processes (ModuleLoad) from /proc/PID/maps: read shortly after each exec, once
/// the dynamic loader has mapped the libraries, and again for every live process at an interval, for libraries opened
/// later. Reads are rate-limited; each library is reported once per process. Used by one thread.
/// </summary>
internal sealed class ModuleTracker
{
    private const string Deleted = " (deleted)";
    private readonly SensorContext _context;
    private readonly ProcessSensorOptions _options;
    private readonly ProcessEventFactory _factory;
    private readonly KernelTime _clock;
    private readonly Func<int, ProcessInfo?> _resolve;
    private readonly Action<Event> _emit;
    private readonly Dictionary<int, ModuleState> _states = [];
    private readonly PriorityQueue<int, long> _followUps = new();
    private readonly Queue<int> _periodic = new();
    private readonly MapsParser _parser = new();
    private readonly long[] _delaysNs;
    private readonly int _maxQueued;
    private byte[] _maps = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private double _tokens;
    private long _refilledNs;
    private long _nextSweepNs;
    private readonly ProcessSensorCounters _counters;

    public ModuleTracker(
        SensorContext context, ProcessSensorOptions options, ProcessSensorCounters counters, ProcessEventFactory factory, KernelTime clock,
        Func<int, ProcessInfo?> resolve, Action<Event> emit)
    {
        _counters = counters;
        _context = context;
        _options = options;
        _factory = factory;
        _clock = clock;
        _resolve = resolve;
        _emit = emit;
        _delaysNs = new long[options.ModuleScanDelays.Count];
        for (var i = 0; i < _delaysNs.Length; i++)
        {
            _delaysNs[i] = (long)options.ModuleScanDelays[i].TotalNanoseconds;
        }
        _maxQueued = options.MaxTrackedProcesses * Math.Max(1, _delaysNs.Length);
        var now = clock.MonotonicNowNs();
        _tokens = options.ModuleScansPerSecond;
        _refilledNs = now;
        _nextSweepNs = now;
    }

    /// <summary>The earliest time (monotonic ns) at which a read can be done: work is due and the rate limit allows it.</summary>
    public long NextDueNs(long nowNs)
    {
        // Follow-ups of processes that exited are dropped when they come due anyway; dropping them now spares the
        // caller a wake-up for each (most execs on a busy host are short-lived).
        while (_followUps.TryPeek(out var head, out _) && !_states.ContainsKey(head))
        {
            _followUps.Dequeue();
        }
        var rate = _options.ModuleScansPerSecond;
        var tokens = Math.Min(rate, _tokens + (nowNs - _refilledNs) * (double)rate / 1_000_000_000);
        var allowed = tokens >= 1 ? nowNs : nowNs + (long)((1 - tokens) * 1_000_000_000 / rate) + 1;
        // A sweep waits for the previous one to drain.
        var next = _periodic.Count > 0 ? allowed : _nextSweepNs;
        if (_followUps.TryPeek(out _, out var due))
        {
            next = Math.Min(next, Math.Max(due, allowed));
        }
        return next;
    }

    /// <summary>A new image: every library it maps from now on is new, so reads after the exec report them all.</summary>
    public void OnExec(int pid, long startTicks, long nowNs)
    {
        if (_states.Count >= _options.MaxTrackedProcesses && !_states.ContainsKey(pid))
        {
            Prune();
        }
        var state = new ModuleState(startTicks, baseline: false);
        _states[pid] = state;
        foreach (var delay in _delaysNs)
        {
            if (_followUps.Count < _maxQueued)
            {
                _followUps.Enqueue(pid, nowNs + delay);
            }
        }
    }

    public void OnExit(int pid) => _states.Remove(pid);

    /// <summary>
    /// Does the reads that are due, within the rate limit and at most <paramref name="maxReads"/> now: follow-ups of
    /// execs first (their libraries are the news), then the periodic rescans.
    /// </summary>
    public void RunDue(long nowNs, int maxReads)
    {
        Refill(nowNs);
        if (nowNs >= _nextSweepNs && _periodic.Count == 0)
        {
            Sweep();
            _nextSweepNs = nowNs + (long)_options.ModuleRescanInterval.TotalNanoseconds;
        }
        while (true)
        {
            // Reads of processes that exited since they were queued cost nothing and are dropped first.
            int pid;
            bool followUp;
            if (_followUps.TryPeek(out var next, out var due) && due <= nowNs)
            {
                pid = next;
                followUp = true;
            }
            else if (_periodic.TryPeek(out next))
            {
                pid = next;
                followUp = false;
            }
            else
            {
                return;
            }
            var live = _states.TryGetValue(pid, out var state);
            if (live && (maxReads <= 0 || _tokens < 1))
            {
                return;
            }
            if (followUp)
            {
                _followUps.Dequeue();
            }
            else
            {
                _periodic.Dequeue();
            }
            if (!live)
            {
                continue;
            }
            state!.Queued = false;
            _tokens--;
            maxReads--;
            Scan(pid, state, nowNs);
        }
    }

    private void Refill(long nowNs)
    {
        var rate = _options.ModuleScansPerSecond;
        _tokens = Math.Min(rate, _tokens + (nowNs - _refilledNs) * (double)rate / 1_000_000_000);
        _refilledNs = nowNs;
    }

    /// <summary>Queues a read of every live process; one seen for the first time is read as a baseline.</summary>
    private void Sweep()
    {
        foreach (var pid in ProcFs.ListPids())
        {
            if (!_states.TryGetValue(pid, out var state))
            {
                if (_states.Count >= _options.MaxTrackedProcesses)
                {
                    continue;
                }
                state = new ModuleState(-1, baseline: true);
                _states[pid] = state;
            }
            if (!state.Queued)
            {
                state.Queued = true;
                _periodic.Enqueue(pid);
            }
        }
    }

    private void Scan(int pid, ModuleState state, long nowNs)
    {
        var info = _resolve(pid);
        if (info is null)
        {
            _states.Remove(pid);
            return;
        }
        if (info.IsKernelThread)
        {
            // Kernel threads map nothing; keep the state so sweeps skip them cheaply.
            state.StartTicks = info.StartTicks;
            state.Baseline = false;
            return;
        }
        if (state.StartTicks >= 0 && state.StartTicks != info.StartTicks)
        {
            // The PID was reused by a process whose exec we did not see.
            state.Seen.Clear();
            state.Baseline = true;
        }
        state.StartTicks = info.StartTicks;
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var length = ProcRead.FormatPath(path, pid, "maps"u8);
        var read = ProcRead.ReadAll(path[..length], ref _maps, _options.MaxMapsBytes);
        Interlocked.Increment(ref _counters.ModuleScansField);
        if (read <= 0)
        {
            return;
        }
        var maps = _maps.AsSpan(0, read);
        _parser.Parse(maps);
        foreach (var module in _parser.Modules)
        {
            if (!module.Executable || state.Seen.Contains((module.Device, module.Inode)))
            {
                continue;
            }
            var modulePath = Encoding.UTF8.GetString(maps.Slice(module.PathStart, module.PathLength));
            if (modulePath.EndsWith(Deleted, StringComparison.Ordinal))
            {
                modulePath = modulePath[..^Deleted.Length];
            }
            if (modulePath == info.ExePath)
            {
                continue;
            }
            if (state.Seen.Count >= _options.MaxModulesPerProcess)
            {
                break;
            }
            state.Seen.Add((module.Device, module.Inode));
            if (!state.Baseline)
            {
                Report(pid, info, module, modulePath, nowNs);
            }
        }
        state.Baseline = false;
    }

    private void Report(int pid, ProcessInfo info, in MappedModule module, string modulePath, long nowNs)
    {
        // map_files opens the very file that is mapped, even when its path was replaced or deleted.
        var mapped = string.Create(CultureInfo.InvariantCulture, $"{ProcFs.Root}/{pid}/map_files/{module.RangeStart:x}-{module.RangeEnd:x}");
        var hashes = _context.Hasher.TryHash(mapped) ?? _context.Hasher.TryHash(modulePath);
        var status = hashes?.Status ?? Libc.Stat(mapped, followLinks: true, out _);
        var fileId = status is null
            ? ProcessEventFactory.FileIdOf(module.Device, module.Inode)
            : ProcessEventFactory.FileIdOf(status.Device, status.Inode);
        _emit(_factory.ModuleLoad(info, modulePath, hashes, status, fileId, module.BaseAddress, _clock.ToUnixUs(nowNs)));
        Interlocked.Increment(ref _counters.ModuleLoadsField);
    }

    private void Prune()
    {
        List<int>? gone = null;
        foreach (var (pid, state) in _states)
        {
            if (ProcFs.ReadStat(pid) is not { } stat || (state.StartTicks >= 0 && stat.StartTicks != state.StartTicks))
            {
                (gone ??= []).Add(pid);
            }
        }
        if (gone is not null)
        {
            foreach (var pid in gone)
            {
                _states.Remove(pid);
            }
        }
        if (_states.Count >= _options.MaxTrackedProcesses)
        {
            _states.Clear();
        }
    }
}
