using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// The proc connector's reader thread: receives kernel messages, counts what the kernel lost, and for each exec takes a
/// first look at /proc (command line, then executable) before handing the event on, because a short-lived process
/// may be gone microseconds later. It does nothing slower than a few /proc reads, so the socket drains quickly.
/// </summary>
internal sealed class ConnectorReader
{
    // Room in a capture buffer: the command line, two paths (executable and working directory; a longer one is left to
    // the enrichment thread's read), then the environment (CaptureEnvironmentBytes).
    private const int CommandLineRoom = 4096;
    private const int PathRoom = 512;
    private const int StatCapacity = 2048;
    private readonly ProcConnectorSocket _socket;
    private readonly EventHandoff _queue;
    private readonly ProcessSensorOptions _options;
    private readonly ProcessSensorCounters _counters;
    private readonly uint _listenNonce;
    private readonly CaptureBuffers _buffers;
    private readonly ExecCapture? _execCapture;
    private readonly byte[] _record;
    private readonly TaskCompletionSource<int> _ack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Start ticks read at fork, so an exec or exit of a process that is already gone still has its UniquePID, and
    // whether it executed since.
    private readonly Dictionary<int, (long Ticks, bool Executed)> _startTicks = [];
    private long[] _lastSequence = [];
    private long _overflowsNotMatched;

    public ConnectorReader(ProcConnectorSocket socket, EventHandoff queue, ProcessSensorOptions options, ProcessSensorCounters counters, uint listenNonce, ExecCapture? execCapture = null)
    {
        _execCapture = execCapture;
        _record = execCapture is null ? [] : GC.AllocateUninitializedArray<byte>(ExecCapture.RecordSize, pinned: true);
        _socket = socket;
        _queue = queue;
        _options = options;
        _counters = counters;
        _listenNonce = listenNonce;
        _buffers = new CaptureBuffers(CommandLineRoom + 2 * PathRoom + options.CaptureEnvironmentBytes, keep: 256, preallocate: 64);
    }

    /// <summary>Where the enrichment thread returns capture buffers.</summary>
    public CaptureBuffers Buffers => _buffers;

    /// <summary>The kernel's answer to our listen request: 0 or an errno.</summary>
    public Task<int> Acknowledged => _ack.Task;

    /// <summary>Why the reader stopped, when it was not cancelled.</summary>
    public string? Error { get; private set; }

    /// <summary>The errno of making the reader real-time, 0 when it is or was not asked to be.</summary>
    public int RealTimeErrno { get; private set; }

    /// <summary>The errno of setting the reader's nice value, 0 when it was set or not needed.</summary>
    public int NiceErrno { get; private set; }

    public void Run(CancellationToken cancellationToken)
    {
        if (_options.ReaderRealTimePriority is { } priority)
        {
            RealTimeErrno = ThreadScheduling.SetCurrentThreadRealTime(priority);
        }
        if ((_options.ReaderRealTimePriority is null || RealTimeErrno != 0) && _options.ReaderNice is { } nice)
        {
            NiceErrno = ThreadScheduling.SetCurrentThreadNice(nice);
        }
        var buffer = new byte[16 * 1024];
        WarmUp(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var received = _socket.Receive(buffer);
                if (received >= 0)
                {
                    ParseDatagram(buffer.AsSpan(0, received), cancellationToken);
                    continue;
                }
                var errno = -received;
                if (errno == Errno.EAGAIN)
                {
                    continue;
                }
                if (errno == Errno.ENOBUFS)
                {
                    // The kernel dropped messages for this socket; the sequence gaps will tell how many.
                    Interlocked.Increment(ref _counters.KernelOverflowsField);
                    _overflowsNotMatched++;
                    Enqueue(new ConnectorEvent { Kind = ConnectorEventKind.Loss, LostCount = 1, LossReason = "the kernel dropped process events: the proc connector socket buffer overflowed" }, cancellationToken);
                    continue;
                }
                Error = $"receiving from the proc connector failed with errno {errno}";
                return;
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _ack.TrySetResult(-1);
            _queue.CompleteAdding();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void ParseDatagram(ReadOnlySpan<byte> datagram, CancellationToken cancellationToken)
    {
        while (datagram.Length >= ProcConnector.NlmsgHeaderSize)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
            if (length < ProcConnector.NlmsgHeaderSize || length > datagram.Length)
            {
                return;
            }
            var message = datagram[..length];
            if (message.Length >= ProcConnector.MinimumEventSize
                && BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.CnIdxOffset..]) == ProcConnector.CnIdxProc
                && BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.CnValOffset..]) == ProcConnector.CnValProc)
            {
                Interlocked.Increment(ref _counters.ConnectorMessagesField);
                Handle(message, cancellationToken);
            }
            var aligned = (length + 3) & ~3;
            if (aligned >= datagram.Length)
            {
                return;
            }
            datagram = datagram[aligned..];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Handle(ReadOnlySpan<byte> message, CancellationToken cancellationToken)
    {
        var what = BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.WhatOffset..]);
        var data = message[ProcConnector.DataOffset..];
        // Every message, acknowledgements included, takes the next number of its CPU's counter.
        TrackSequence(
            BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.CpuOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.CnSeqOffset..]),
            cancellationToken);
        if (what == ProcConnector.EventNone)
        {
            // The kernel answers a request with its ack field plus one; other listeners' answers come here too.
            if (BinaryPrimitives.ReadUInt32LittleEndian(message[ProcConnector.CnAckOffset..]) == unchecked(_listenNonce + 1))
            {
                _ack.TrySetResult((int)BinaryPrimitives.ReadUInt32LittleEndian(data));
            }
            return;
        }
        var timestamp = BinaryPrimitives.ReadInt64LittleEndian(message[ProcConnector.TimestampOffset..]);
        switch (what)
        {
            case ProcConnector.EventFork:
                OnFork(data, timestamp, cancellationToken);
                break;
            case ProcConnector.EventExec:
                OnExec(data, timestamp, cancellationToken);
                break;
            case ProcConnector.EventExit:
                OnExit(data, timestamp, cancellationToken);
                break;
            case ProcConnector.EventUid or ProcConnector.EventGid:
                OnLeaderEvent(data, timestamp, ConnectorEventKind.CredentialsChanged, cancellationToken);
                break;
            case ProcConnector.EventSid:
                OnLeaderEvent(data, timestamp, ConnectorEventKind.SessionChanged, cancellationToken);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnFork(ReadOnlySpan<byte> data, long timestamp, CancellationToken cancellationToken)
    {
        var parentTgid = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var childPid = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        var childTgid = BinaryPrimitives.ReadInt32LittleEndian(data[12..]);
        if (childPid != childTgid)
        {
            return; // a thread
        }
        ReadStat(childPid, out var ticks, out var flags);
        Remember(childPid, ticks);
        // Nothing about a fork is urgent for the worker (its announcement is a second away): it is taken with the
        // exec or exit that follows.
        Enqueue(new ConnectorEvent
        {
            Kind = ConnectorEventKind.Fork,
            Pid = childPid,
            ParentPid = parentTgid,
            StartTicks = ticks,
            TimestampNs = timestamp,
            KernelThread = (flags & StatSpan.KernelThreadFlag) != 0,
        }, cancellationToken, wake: false);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnExec(ReadOnlySpan<byte> data, long timestamp, CancellationToken cancellationToken)
    {
        var pid = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        var capture = Capture(pid, out var arguments, out var exe, out var cwd, out var environment);
        ref var started = ref CollectionsMarshal.GetValueRefOrNullRef(_startTicks, pid);
        long ticks;
        if (Unsafe.IsNullRef(ref started))
        {
            ReadStat(pid, out ticks, out _);
            Remember(pid, ticks, executed: true);
        }
        else
        {
            ticks = started.Ticks;
            started.Executed = true;
        }
        var e = new ConnectorEvent
        {
            Kind = ConnectorEventKind.Exec,
            Pid = pid,
            StartTicks = ticks,
            TimestampNs = timestamp,
            Capture = capture,
            ArgumentsLength = arguments,
            ExeLength = exe,
            CwdLength = cwd,
            EnvironmentLength = environment,
        };
        if (_execCapture is not null && (arguments <= 0 || exe < 0 || cwd < 0 || (environment < 0 && _options.CaptureEnvironmentBytes > 0)) && _execCapture.TryRead(pid, timestamp, _record))
        {
            FromRecord(ref e);
            Interlocked.Increment(ref _counters.KernelRecordStartsField);
        }
        Enqueue(e, cancellationToken);
    }

    /// <summary>
    /// Completes a first look that found the process (partly) gone from the kernel's record of its exec: the arguments
    /// when /proc had none, then the executable, working directory and environment, and the IDs.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FromRecord(ref ConnectorEvent e)
    {
        var record = _record.AsSpan();
        var capture = e.Capture.AsSpan();
        if (e.ArgumentsLength <= 0)
        {
            var recorded = ExecCapture.Arguments(record);
            recorded.CopyTo(capture);
            e.ArgumentsLength = recorded.Length;
        }
        var used = Math.Max(e.ArgumentsLength, 0);
        var cwdRoom = capture.Slice(used + PathRoom, PathRoom);
        var cwd = ExecCapture.WorkingDirectory(record, cwdRoom);
        var exe = ExecCapture.Executable(record);
        if (exe.IsEmpty || exe.Length > PathRoom)
        {
            e.ExeLength = -1;
        }
        else if (exe[0] == (byte)'/')
        {
            exe.CopyTo(capture[used..]);
            e.ExeLength = exe.Length;
        }
        else if (cwd > 0 && cwd + 1 + exe.Length <= PathRoom)
        {
            // A relative path (./program): relative to the working directory of the exec.
            cwdRoom[..cwd].CopyTo(capture[used..]);
            var at = used + cwd;
            if (cwd > 1)
            {
                capture[at++] = (byte)'/';
            }
            (exe.StartsWith("./"u8) ? exe[2..] : exe).CopyTo(capture[at..]);
            e.ExeLength = at - used + (exe.StartsWith("./"u8) ? exe.Length - 2 : exe.Length);
        }
        else
        {
            e.ExeLength = -1;
        }
        used += Math.Max(e.ExeLength, 0);
        // The working directory was written after a full path's room; move it up behind the executable.
        if (cwd > 0)
        {
            cwdRoom[..cwd].CopyTo(capture[used..]);
        }
        e.CwdLength = cwd;
        used += Math.Max(cwd, 0);
        var environment = ExecCapture.Environment(record);
        if (!ExecCapture.EnvironmentCut(record) && environment.Length < capture.Length - used)
        {
            environment.CopyTo(capture[used..]);
            e.EnvironmentLength = environment.Length;
        }
        else
        {
            e.EnvironmentLength = -1;
        }
        (e.Uid, e.Gid, e.Euid, e.Egid) = ExecCapture.Ids(record);
        e.IdsCaptured = true;
    }

    /// <summary>
    /// The first look at a process that just executed: its command line first (what a short-lived process loses first
    /// and what matters most), then its executable's path, working directory and environment. Lengths are -1 when
    /// unreadable (or, for paths and the environment, longer than the room for them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private byte[] Capture(int pid, out int arguments, out int exe, out int cwd, out int environment)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var capture = _buffers.Rent();
        var room = CommandLineRoom;
        var pathLength = ProcRead.FormatPath(path, pid, "cmdline"u8);
        arguments = ProcRead.ReadFile(path[..pathLength], capture.AsSpan(0, room));
        if (arguments == room && room < _options.CaptureCommandLineBytes)
        {
            // A long command line (rare): a buffer of its own, read again.
            _buffers.Return(capture);
            capture = new byte[_options.CaptureCommandLineBytes + capture.Length - CommandLineRoom];
            room = _options.CaptureCommandLineBytes;
            arguments = ProcRead.ReadFile(path[..pathLength], capture.AsSpan(0, room));
        }
        arguments = Math.Max(arguments, -1);
        var used = Math.Max(arguments, 0);
        exe = ReadLink(pid, "exe"u8, capture.AsSpan(used, PathRoom));
        used += Math.Max(exe, 0);
        cwd = ReadLink(pid, "cwd"u8, capture.AsSpan(used, PathRoom));
        used += Math.Max(cwd, 0);
        environment = -1;
        var environmentRoom = capture.Length - used;
        if (_options.CaptureEnvironmentBytes > 0 && environmentRoom > 0)
        {
            pathLength = ProcRead.FormatPath(path, pid, "environ"u8);
            var read = ProcRead.ReadFile(path[..pathLength], capture.AsSpan(used, environmentRoom));
            // A full buffer may be a cut environment: better none than a wrong one.
            environment = read < environmentRoom ? Math.Max(read, -1) : -1;
        }
        return capture;

        static int ReadLink(int pid, ReadOnlySpan<byte> leaf, Span<byte> destination)
        {
            Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
            var length = ProcRead.ReadLink(path[..ProcRead.FormatPath(path, pid, leaf)], destination);
            return length >= destination.Length ? -1 : Math.Max(length, -1);
        }
    }

    /// <summary>
    /// Compiles the message path and runs the /proc reads on this process, so the first real exec does not wait for the
    /// JIT (a millisecond is a process missed).
    /// </summary>
    private void WarmUp(CancellationToken cancellationToken)
    {
        foreach (var name in (ReadOnlySpan<string>)[nameof(ParseDatagram), nameof(Handle), nameof(OnFork), nameof(OnExec), nameof(OnExit), nameof(OnLeaderEvent), nameof(TrackSequence), nameof(Remember), nameof(Enqueue), nameof(Capture)])
        {
            if (typeof(ConnectorReader).GetMethod(name, BindingFlags.Instance | BindingFlags.NonPublic) is { } method)
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
        }
        var self = Environment.ProcessId;
        for (var i = 0; i < 64; i++)
        {
            _buffers.Return(Capture(self, out _, out _, out _, out _));
            ReadStat(self, out var ticks, out _);
            _startTicks.TryGetValue(self, out _);
            Remember(self, ticks);
            _startTicks.Remove(self, out _);
        }
        Enqueue(new ConnectorEvent { Kind = ConnectorEventKind.WarmUp }, cancellationToken);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnExit(ReadOnlySpan<byte> data, long timestamp, CancellationToken cancellationToken)
    {
        var pid = BinaryPrimitives.ReadInt32LittleEndian(data);
        var tgid = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if (pid != tgid)
        {
            return; // a thread
        }
        var executed = false;
        long ticks;
        if (_startTicks.Remove(pid, out var started))
        {
            (ticks, executed) = started;
        }
        else
        {
            // Not seen since the sensor started; until its parent reaps it, /proc still has it.
            ReadStat(pid, out ticks, out _);
        }
        // The exit of a process that executed needs no /proc read, so the worker need not wake for it; one that only
        // forked is announced at its exit from a read of /proc, which must come before its parent reaps it.
        Enqueue(new ConnectorEvent
        {
            Kind = ConnectorEventKind.Exit,
            Pid = pid,
            ParentPid = BinaryPrimitives.ReadInt32LittleEndian(data[20..]),
            StartTicks = ticks,
            TimestampNs = timestamp,
            ExitStatus = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]),
        }, cancellationToken, wake: !executed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void OnLeaderEvent(ReadOnlySpan<byte> data, long timestamp, ConnectorEventKind kind, CancellationToken cancellationToken)
    {
        var pid = BinaryPrimitives.ReadInt32LittleEndian(data);
        var tgid = BinaryPrimitives.ReadInt32LittleEndian(data[4..]);
        if (pid == tgid)
        {
            Enqueue(new ConnectorEvent { Kind = kind, Pid = pid, StartTicks = -1, TimestampNs = timestamp }, cancellationToken);
        }
    }

    /// <summary>
    /// The kernel numbers messages per CPU and sends each CPU's in order, so a gap is the exact count of messages
    /// this socket lost. Overflows already reported one loss each; gaps report the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void TrackSequence(uint cpu, uint sequence, CancellationToken cancellationToken)
    {
        if (cpu >= 65_536)
        {
            return;
        }
        if (cpu >= _lastSequence.Length)
        {
            var grown = new long[Math.Max(cpu + 1, (uint)Environment.ProcessorCount)];
            grown.AsSpan().Fill(-1);
            _lastSequence.CopyTo(grown, 0);
            _lastSequence = grown;
        }
        var last = _lastSequence[cpu];
        _lastSequence[cpu] = sequence;
        if (last < 0)
        {
            return;
        }
        var gap = unchecked(sequence - (uint)last - 1);
        if (gap == 0 || gap >= 1u << 31)
        {
            return;
        }
        Interlocked.Add(ref _counters.KernelLostEventsField, gap);
        var matched = Math.Min(gap, _overflowsNotMatched);
        _overflowsNotMatched -= matched;
        if (gap > matched)
        {
            Enqueue(new ConnectorEvent { Kind = ConnectorEventKind.Loss, LostCount = gap - matched, LossReason = "the kernel did not deliver process events (proc connector sequence gap)" }, cancellationToken);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Remember(int pid, long ticks, bool executed = false)
    {
        if (ticks < 0)
        {
            return;
        }
        if (_startTicks.Count >= _options.MaxTrackedProcesses)
        {
            // Exits were missed; the exit path falls back to reading /proc, so forgetting costs only that read.
            _startTicks.Clear();
        }
        _startTicks[pid] = (ticks, executed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadStat(int pid, out long ticks, out uint flags)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        Span<byte> stat = stackalloc byte[StatCapacity];
        var length = ProcRead.FormatPath(path, pid, "stat"u8);
        var read = ProcRead.ReadFile(path[..length], stat);
        if (read <= 0 || !StatSpan.TryParse(stat[..read], out ticks, out flags))
        {
            ticks = -1;
            flags = 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    /// <summary>
    /// Hands an event to the worker. Without <paramref name="wake"/> a sleeping worker is not woken for it: it is taken
    /// with the next event that wakes it, or at the worker's next timer (see <see cref="EventHandoff.TryAdd"/>).
    /// </summary>
    private void Enqueue(in ConnectorEvent e, CancellationToken cancellationToken, bool wake = true)
    {
        if (_queue.TryAdd(e, wake))
        {
            return;
        }
        // Waiting here lets the kernel buffer absorb the burst; every exec queued so far already has its first look.
        Interlocked.Increment(ref _counters.QueueWaitsField);
        _queue.Add(e, cancellationToken);
    }
}
