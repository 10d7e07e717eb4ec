using System.Globalization;
using System.Text.RegularExpressions;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Scheduled jobs created, modified and deleted: cron (the system crontab, /etc/cron.d, user crontabs, and the
/// scripts of /etc/cron.{hourly,daily,weekly,monthly}) and systemd timers (with the command and account of the
/// service each starts, and whether the timer is enabled). One job per crontab line, named "file:line"; a timer
/// is named after its unit. Who made the change is not known to inotify and is left empty.
/// </summary>
public sealed partial class ScheduledTaskSensor : ConfigFileSensor<ScheduledJob>
{
    private static readonly string[] TimerTriggers =
        ["OnCalendar", "OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec", "OnClockChange", "OnTimezoneChange"];

    private readonly ScheduledTaskSensorOptions _options;
    private readonly SystemdEnablement _enablement;
    private readonly PasswdIndex _passwd;
    private readonly HashSet<string> _systemDirectories;
    private readonly HashSet<string> _userDirectories;
    private readonly HashSet<string> _timerDirectories;
    private readonly Dictionary<string, string> _periodic;
    // Timer unit file → the service it starts, to read the timer again when that service changes.
    private readonly Dictionary<string, string> _timerServices = new(StringComparer.Ordinal);

    public ScheduledTaskSensor(ScheduledTaskSensorOptions? options = null)
    {
        _options = options ?? new ScheduledTaskSensorOptions();
        _enablement = new SystemdEnablement([.. _options.EnablementDirectories.Select(Normalize)]);
        _passwd = new PasswdIndex(_options.PasswdPath);
        _systemDirectories = new(_options.SystemCronDirectories.Select(Normalize), StringComparer.Ordinal);
        _userDirectories = new(_options.UserCronDirectories.Select(Normalize), StringComparer.Ordinal);
        _timerDirectories = new(_options.TimerDirectories.Select(Normalize), StringComparer.Ordinal);
        _periodic = _options.PeriodicDirectories.ToDictionary(p => Normalize(p.Key), p => p.Value, StringComparer.Ordinal);
    }

    public override string Name => "scheduled-task";

    // run-parts (Debian) and cron's cron.d reader skip names with other characters ("job.dpkg-old", "x~").
    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex RunPartsName();

    protected override IEnumerable<WatchTarget> InitialTargets()
    {
        yield return WatchTarget.ForFile(_options.CrontabPath);
        foreach (var directory in _systemDirectories.Concat(_periodic.Keys))
        {
            yield return WatchTarget.ForDirectory(directory, name => !name.StartsWith('.'));
        }
        foreach (var directory in _userDirectories)
        {
            // crontab(1) writes "tmp.NNNN" and renames it into place.
            yield return WatchTarget.ForDirectory(directory, name => !name.StartsWith('.') && !name.StartsWith("tmp.", StringComparison.Ordinal));
        }
        foreach (var directory in _timerDirectories)
        {
            yield return WatchTarget.ForDirectory(directory, name => name.EndsWith(".timer", StringComparison.Ordinal)
                || name.EndsWith(".service", StringComparison.Ordinal) || SystemdEnablement.IsDependencyDirectoryName(name));
        }
        foreach (var directory in _enablement.DependencyDirectories())
        {
            yield return DependencyTarget(directory);
        }
    }

    private static WatchTarget DependencyTarget(string directory) =>
        WatchTarget.ForDirectory(directory, name => name.EndsWith(".timer", StringComparison.Ordinal));

    protected override IEnumerable<string> Affected(string path)
    {
        var name = Path.GetFileName(path);
        var parent = Path.GetDirectoryName(path) ?? "";
        if (SystemdEnablement.IsDependencyDirectoryName(Path.GetFileName(parent)) && _enablement.Roots.Contains(Path.GetDirectoryName(parent)))
        {
            // A timer was enabled or disabled.
            _enablement.Invalidate();
            return KnownPaths.Where(p => string.Equals(Path.GetFileName(p), name, StringComparison.Ordinal)).ToList();
        }
        if (SystemdEnablement.IsDependencyDirectoryName(name) && _enablement.Roots.Contains(parent))
        {
            _enablement.Invalidate();
            if (Directory.Exists(path))
            {
                AddTarget(DependencyTarget(path));
            }
            return KnownPaths.Where(p => p.EndsWith(".timer", StringComparison.Ordinal)).ToList();
        }
        if (_timerDirectories.Contains(parent) && name.EndsWith(".service", StringComparison.Ordinal))
        {
            return _timerServices.Where(t => string.Equals(t.Value, name, StringComparison.Ordinal)).Select(t => t.Key).ToList();
        }
        if (_enablement.Roots.Contains(parent) && name.EndsWith(".timer", StringComparison.Ordinal))
        {
            // A link to /dev/null here masks the timers of that name elsewhere (and its removal unmasks them).
            _enablement.Invalidate();
            return [path, .. KnownPaths.Where(p => string.Equals(Path.GetFileName(p), name, StringComparison.Ordinal))];
        }
        return [path];
    }

    protected override IReadOnlyList<ScheduledJob> Parse(SensorContext context, string path)
    {
        var parent = Path.GetDirectoryName(path) ?? "";
        var name = Path.GetFileName(path);
        if (string.Equals(path, _options.CrontabPath, StringComparison.Ordinal))
        {
            return Crontab(context, path, hasUserColumn: true, owner: null, enabled: true);
        }
        if (_systemDirectories.Contains(parent))
        {
            return Crontab(context, path, hasUserColumn: true, owner: null, enabled: RunPartsName().IsMatch(name));
        }
        if (_userDirectories.Contains(parent))
        {
            return Crontab(context, path, hasUserColumn: false, owner: name, enabled: true);
        }
        if (_periodic.TryGetValue(parent, out var period))
        {
            return PeriodicScript(context, path, period);
        }
        if (_enablement.Roots.Contains(parent) && name.EndsWith(".timer", StringComparison.Ordinal))
        {
            return Timer(context, path);
        }
        return [];
    }

    private List<ScheduledJob> Crontab(SensorContext context, string path, bool hasUserColumn, string? owner, bool enabled)
    {
        var text = ReadText(path, 1 << 20);
        if (text is null)
        {
            return [];
        }
        var file = Path.GetFileName(path);
        return CronParser.Parse(text, hasUserColumn, MaxItemsPerFile).Select(job => new ScheduledJob
        {
            Name = string.Create(CultureInfo.InvariantCulture, $"{file}:{job.Line}"),
            Command = job.Command,
            Schedule = job.Schedule,
            RunAs = UserByName(context, job.User ?? owner ?? "root"),
            SourceFile = path,
            Scheduler = "cron",
            Enabled = enabled,
        }).ToList();
    }

    private List<ScheduledJob> PeriodicScript(SensorContext context, string path, string period)
    {
        var status = Interop.Libc.Stat(path, followLinks: true, out _);
        if (status is not { IsRegularFile: true })
        {
            return [];
        }
        return
        [
            new ScheduledJob
            {
                Name = Path.GetFileName(path),
                Command = path,
                Schedule = period,
                RunAs = UserByName(context, "root"),
                SourceFile = path,
                Scheduler = "cron",
                Enabled = (status.Mode & 0x49) != 0 && RunPartsName().IsMatch(Path.GetFileName(path)),
            },
        ];
    }

    private List<ScheduledJob> Timer(SensorContext context, string path)
    {
        var name = Path.GetFileName(path);
        // A mask (a link to /dev/null) is not a job; it disables the timers of its name, which say so.
        var text = new FileInfo(path).LinkTarget == "/dev/null" ? null : ReadText(path, SystemdUnitFile.MaxBytes);
        if (text is null)
        {
            _timerServices.Remove(path);
            return [];
        }
        var timer = SystemdUnitFile.Parse(text);
        var serviceName = timer.Last("Timer", "Unit") is { Length: > 0 } unit ? unit : Path.ChangeExtension(name, ".service");
        _timerServices[path] = serviceName;
        var service = FindUnit(serviceName) is { } servicePath && ReadText(servicePath, SystemdUnitFile.MaxBytes) is { } serviceText
            ? SystemdUnitFile.Parse(serviceText)
            : null;
        var schedule = string.Join("; ", TimerTriggers.SelectMany(t => timer.Values("Timer", t).Select(v => $"{t}={v}")));
        var commands = service?.Values("Service", "ExecStart").Select(SystemdUnitFile.Command) ?? [];
        var state = _enablement.StateOf(name);
        return
        [
            new ScheduledJob
            {
                Name = name,
                Command = string.Join("; ", commands),
                Schedule = schedule,
                RunAs = service is null ? new UserRef() : ServiceAccount.Of(context, _passwd, service, serviceName),
                SourceFile = path,
                Scheduler = "systemd-timer",
                Enabled = state == "enabled",
            },
        ];
    }

    private string? FindUnit(string name)
    {
        foreach (var directory in _options.TimerDirectories)
        {
            var candidate = Path.Join(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private UserRef UserByName(SensorContext context, string name) => ServiceAccount.ByName(context, _passwd, name);

    protected override bool SameContent(ScheduledJob a, ScheduledJob b) =>
        a.Command == b.Command && a.Schedule == b.Schedule && Equals(a.RunAs, b.RunAs) && a.SourceFile == b.SourceFile
        && a.Scheduler == b.Scheduler && a.Enabled == b.Enabled;

    /// <summary>
    /// The same job after an edit: same command and account (its schedule changed), else same schedule and
    /// account (its command changed), else the same line. Jobs of different files never pair.
    /// </summary>
    protected override IReadOnlyList<Func<ScheduledJob, ScheduledJob, bool>> Pairings { get; } =
    [
        (a, b) => a.SourceFile == b.SourceFile && a.Command == b.Command && a.RunAs?.Name == b.RunAs?.Name,
        (a, b) => a.SourceFile == b.SourceFile && a.Schedule == b.Schedule && a.RunAs?.Name == b.RunAs?.Name,
        (a, b) => a.SourceFile == b.SourceFile && a.Name == b.Name,
    ];

    protected override Event ToEvent(SensorContext context, ChangeOperation operation, ScheduledJob item, ScheduledJob? previous)
    {
        var payload = new ScheduledTaskChangeEvent { Operation = operation, Job = item };
        if (previous is not null)
        {
            payload.Previous = previous;
        }
        return new Event { Type = EventType.ScheduledTaskChange, TimeUs = context.NowUs(), ScheduledTaskChange = payload };
    }

    private static string Normalize(string path) => Path.TrimEndingDirectorySeparator(path);
}
