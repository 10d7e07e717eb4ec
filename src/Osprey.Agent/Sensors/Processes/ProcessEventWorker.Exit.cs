namespace Osprey.Agent.Sensors.Processes;

// Exit records: the ProcessStop, and the ProcessStart of a process that forked without executing.
internal sealed partial class ProcessEventWorker
{
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
}
