using System.Globalization;
using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Contracts.Processes;

namespace Osprey.Agent.Sensors.Processes;

// Exec records: the ProcessStart of a new program, from /proc or, when the process is gone, from the first look.
internal sealed partial class ProcessEventWorker
{
    private void OnExec(in ConnectorEvent e)
    {
        _tracked.TryGetValue(e.Pid, out var t);
        var ticks = e.StartTicks >= 0 ? e.StartTicks : t?.StartTicks ?? -1;
        var info = _context.Processes.Read(e.Pid, FirstLookOf(e));
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
            if (InheritedIdentity(t, info, e.IdsCaptured) is { } inherited)
            {
                info = inherited;
                complete = true;
            }
        }
        else if ((info.Arguments.Count == 0 && captured.Length > 0) || (info.ExePath is null && capturedExe is not null))
        {
            // It exited while the table read it (a zombie keeps its IDs but not its memory or executable): the first
            // look still has the command line and the executable's path.
            var arguments = info.Arguments.Count > 0 ? info.Arguments : SplitNul(captured);
            var exe = info.ExePath ?? capturedExe;
            info = info with
            {
                Arguments = arguments,
                CommandLine = CommandLines.Join(arguments),
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
            info = info with { Arguments = arguments, CommandLine = CommandLines.Join(arguments) };
        }
        if (!partial && info.Executable is null && info.ExePath is { } exePath && HashGone(exePath, t?.ParentPid ?? info.ParentPid) is { } byPath)
        {
            // It exited between the table's read of its executable link and the hash (the first look spared the table
            // the later reads that would have shown it gone): hashed by path, as for a process gone.
            info = info with { Executable = byPath };
            partial = true;
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

    /// <summary>
    /// The parts of the reader's first look that the table can take instead of reading them again: those read whole
    /// from /proc (not cut, not from the kernel exec record, whose arguments may be cut at 4 KiB).
    /// </summary>
    private ExecFirstLook FirstLookOf(in ConnectorEvent e) => e.IdsCaptured ? default : new ExecFirstLook
    {
        Arguments = e.CapturedArguments,
        HasArguments = e.ArgumentsLength > 0 && e.ArgumentsLength < _options.CaptureCommandLineBytes,
        Cwd = e.CapturedCwd,
        HasCwd = e.CwdLength > 0,
        Environment = e.CapturedEnvironment,
        HasEnvironment = e.EnvironmentLength >= 0,
    };

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
            CommandLine = CommandLines.Join(arguments),
            Cwd = e.CapturedCwd.IsEmpty ? null : Encoding.UTF8.GetString(e.CapturedCwd),
            Environment = CapturedEnvironment(e),
            Executable = exe is null ? null : HashGone(exe, t?.ParentPid ?? 0),
            Uid = e.Uid,
            Gid = e.Gid,
            Euid = e.Euid,
            Egid = e.Egid,
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
    /// change was reported since (UID, GID and SID events). With <paramref name="idsCaptured"/> the user and group IDs
    /// are already the kernel exec record's (exact, set-ID programs included) and only the session and terminal are
    /// inherited. Null when that cannot be said.
    /// </summary>
    private ProcessInfo? InheritedIdentity(TrackedProcess? t, ProcessInfo info, bool idsCaptured)
    {
        // Its own last read (a credentials change, a fork announcement) if it had one, else its parent at the fork.
        var basis = t is { Complete: true, Info: { } own } ? own : t is { Parent: { } parent, IdentityChanged: false } ? parent : null;
        if (basis is null)
        {
            return null;
        }
        if (idsCaptured)
        {
            return info with
            {
                LoginUid = basis.LoginUid,
                Session = basis.Session,
                AuditSession = basis.AuditSession,
                TtyNumber = basis.TtyNumber,
            };
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
    private IReadOnlyList<string> CapturedEnvironment(in ConnectorEvent e) => _redaction.Apply(SplitNul(e.CapturedEnvironment));

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
