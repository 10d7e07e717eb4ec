using System.Globalization;
using System.Net;
using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// User logons and logoffs from the session records: records appended to wtmp and slots changed in utmp
/// (both watched with inotify; the same logon seen in both is reported once), and failed logons from the
/// authentication log (sshd, and pam_unix for su, sudo, login). A logoff is reported for sessions whose
/// logon is known: seen by this sensor, or open in utmp when it started.
/// </summary>
public sealed class LogonSensor(LogonSensorOptions? options = null) : ISensor
{
    private const int MaxSessions = 4096;
    private const int MaxUtmpBytes = 1 << 20;
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly LogonSensorOptions _options = options ?? new LogonSensorOptions();

    public string Name => "logon";

    public Task RunAsync(SensorContext context, CancellationToken cancellationToken) =>
        ReaderThread.Run(Name, context, () => Run(context, cancellationToken), cancellationToken);

    private void Run(SensorContext context, CancellationToken cancellationToken)
    {
        var targets = new List<WatchTarget> { WatchTarget.ForFile(_options.UtmpPath), WatchTarget.ForFile(_options.WtmpPath) };
        if (_options.AuthLogPath is { } authPath)
        {
            targets.Add(WatchTarget.ForFile(authPath));
        }
        using var watcher = new DirectoryWatcher(targets);
        using var waiter = new DescriptorWaiter(cancellationToken);
        var state = new State(context, new PasswdIndex(_options.PasswdPath));
        var wtmp = new FileTail(_options.WtmpPath, _options.MaxReadBytes);
        var auth = _options.AuthLogPath is { } a ? new FileTail(a, _options.MaxReadBytes) : null;
        var batch = new WatchBatch();
        // Offsets first: a record appended before the watches exist is then read at the first event.
        wtmp.SkipToEnd(UtmpRecord.Size);
        auth?.SkipToEnd(1);
        watcher.Refresh(batch);
        batch.Clear();
        foreach (var record in ReadUtmp())
        {
            if (record.Type == UtmpType.UserProcess)
            {
                state.Open(record, emit: false);
            }
        }
        if (auth is not null && !File.Exists(auth.Path))
        {
            HostStateLog.Skipped(context.Logger, Name, auth.Path, "no authentication log here (yet); failed logons are not reported until it appears");
        }
        context.Health.SetState(SensorState.Running);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var revents = waiter.Wait(watcher.Handle, Poll.In, watcher.HasMissing ? RetryInterval : Timeout.InfiniteTimeSpan);
            batch.Clear();
            if ((revents & Poll.In) != 0)
            {
                watcher.Drain(batch, buffer);
            }
            watcher.Refresh(batch);
            if (batch.Overflowed)
            {
                context.Health.ReportLoss(1, "the inotify queue overflowed");
            }
            if (batch.Paths.Contains(_options.WtmpPath))
            {
                ReadWtmp(context, wtmp, state);
            }
            if (batch.Paths.Contains(_options.UtmpPath))
            {
                foreach (var record in ReadUtmp())
                {
                    state.Apply(record);
                }
            }
            if (auth is not null && batch.Paths.Contains(auth.Path))
            {
                ReadAuthLog(context, auth, state);
            }
        }
    }

    private void ReadWtmp(SensorContext context, FileTail wtmp, State state)
    {
        var data = wtmp.ReadNew(out var skipped);
        if (skipped > 0)
        {
            context.Health.ReportLoss((skipped + UtmpRecord.Size - 1) / UtmpRecord.Size, "wtmp grew by more than the sensor reads at once");
        }
        var whole = data.Length - data.Length % UtmpRecord.Size;
        for (var i = 0; i < whole; i += UtmpRecord.Size)
        {
            if (UtmpRecord.TryParse(data.AsSpan(i, UtmpRecord.Size), out var record))
            {
                state.Apply(record!);
            }
        }
        wtmp.Advance(whole);
    }

    private void ReadAuthLog(SensorContext context, FileTail auth, State state)
    {
        var data = auth.ReadNew(out var skipped);
        if (skipped > 0)
        {
            context.Health.ReportLoss(1, "the authentication log grew by more than the sensor reads at once");
        }
        var end = Array.LastIndexOf(data, (byte)'\n') + 1;
        if (end == 0 && data.Length >= _options.MaxReadBytes)
        {
            // One "line" longer than a whole read is not a log line: step over it rather than stall on it.
            context.Health.ReportLoss(1, "the authentication log holds a line longer than the sensor reads at once");
            auth.Advance(data.Length);
            return;
        }
        var now = context.Time.GetUtcNow();
        var zone = context.Time.LocalTimeZone;
        foreach (var line in Encoding.UTF8.GetString(data, 0, end).Split('\n'))
        {
            if (AuthLogParser.Parse(line, now, zone) is { } entry)
            {
                state.Failed(entry);
            }
        }
        auth.Advance(end);
    }

    private IEnumerable<UtmpRecord> ReadUtmp() => Wtmp.ReadTail(_options.UtmpPath, MaxUtmpBytes);

    /// <summary>Open sessions by terminal line, and how records and log entries become events.</summary>
    private sealed class State(SensorContext context, PasswdIndex passwd)
    {
        private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);

        public void Apply(UtmpRecord record)
        {
            switch (record.Type)
            {
                case UtmpType.UserProcess when record.User.Length > 0 && record.Line.Length > 0:
                    Open(record, emit: true);
                    break;
                case UtmpType.DeadProcess when record.Line.Length > 0:
                    Close(record.Line, record.TimeUs);
                    break;
            }
        }

        public void Open(UtmpRecord record, bool emit)
        {
            if (_sessions.TryGetValue(record.Line, out var open))
            {
                if (open.Record.Pid == record.Pid && open.Record.TimeUs == record.TimeUs)
                {
                    // The same logon, seen in utmp and in wtmp.
                    return;
                }
                if (record.TimeUs < open.Record.TimeUs)
                {
                    return;
                }
                // A new session on the line means the old one ended without a record of it.
                Close(record.Line, record.TimeUs);
            }
            if (_sessions.Count >= MaxSessions)
            {
                context.Health.ReportLoss(1, "too many open sessions to track");
                return;
            }
            var process = record.Pid > 0 ? context.Processes.Get(record.Pid) : null;
            var session = new Session(record, process, AuthService(process));
            _sessions[record.Line] = session;
            if (emit)
            {
                context.Emit(ToEvent(EventType.UserLogon, session, record.TimeUs));
            }
        }

        private void Close(string line, long timeUs)
        {
            // A DEAD_PROCESS slot left from an earlier session must not end a newer one.
            if (_sessions.TryGetValue(line, out var session) && timeUs >= session.Record.TimeUs)
            {
                _sessions.Remove(line);
                context.Emit(ToEvent(EventType.UserLogoff, session, timeUs));
            }
        }

        public void Failed(AuthLogEntry entry)
        {
            var payload = new UserSessionEvent
            {
                User = User(entry.User, out var group),
                Group = group,
                RemoteHost = entry.RemoteIp,
                RemoteIp = IPAddress.TryParse(entry.RemoteIp, out var ip) ? ip.ToString() : "",
                RemotePort = entry.RemotePort,
                LogonType = entry.LogonType,
                Tty = entry.Tty,
                AuthService = entry.Service,
                Result = "failure",
                FailureReason = entry.FailureReason,
            };
            var e = new Event { Type = EventType.UserLogon, TimeUs = entry.TimeUs, UserLogon = payload, User = payload.User };
            if (entry.Pid > 0 && context.Processes.Get(entry.Pid) is { } process)
            {
                e.Process = ProcessTable.Ref(process);
                e.ParentUniquePid = process.ParentUniquePid ?? "";
            }
            context.Emit(e);
        }

        private Event ToEvent(EventType type, Session session, long timeUs)
        {
            var r = session.Record;
            var address = r.Address?.ToString() ?? (IPAddress.TryParse(r.Host, out var parsed) ? parsed.ToString() : "");
            var payload = new UserSessionEvent
            {
                SessionId = (r.Session != 0 ? r.Session : r.Pid).ToString(CultureInfo.InvariantCulture),
                User = User(r.User, out var group),
                Group = group,
                RemoteHost = r.Host.StartsWith(':') ? "" : r.Host,
                RemoteIp = address,
                LogonType = LogonType(r, session.AuthService),
                Tty = r.Line,
                AuthService = session.AuthService,
                Result = "success",
                DurationSeconds = type == EventType.UserLogoff ? Math.Max(0, (timeUs - r.TimeUs) / 1_000_000) : 0,
            };
            var e = new Event { Type = type, TimeUs = timeUs, User = payload.User };
            if (type == EventType.UserLogon)
            {
                e.UserLogon = payload;
            }
            else
            {
                e.UserLogoff = payload;
            }
            if (session.Process is { } process)
            {
                e.Process = ProcessTable.Ref(process);
                e.ParentUniquePid = process.ParentUniquePid ?? "";
            }
            return e;
        }

        private UserRef User(string name, out GroupRef group)
        {
            group = new GroupRef();
            var user = new UserRef { Name = name };
            if (passwd.Find(name) is { } ids)
            {
                user.Id = ids.Uid.ToString(CultureInfo.InvariantCulture);
                group = context.Processes.GroupRefOf(ids.Gid);
            }
            return user;
        }

        private static string AuthService(ProcessInfo? process) => process?.Name switch
        {
            null => "",
            "sshd" or "sshd-session" => "sshd",
            var name => name,
        };

        private static string LogonType(UtmpRecord r, string authService) =>
            authService == "sshd" ? "ssh"
            : r.Host.StartsWith(':') ? "graphical"
            : r.Host.Length > 0 ? "remote"
            : r.Line.StartsWith("tty", StringComparison.Ordinal) || r.Line == "console" ? "console"
            : "local";
    }

    private sealed record Session(UtmpRecord Record, ProcessInfo? Process, string AuthService);
}
