namespace Osprey.Agent.Sensors.HostState;

/// <summary>Where the scheduled-task sensor finds crontabs, periodic script directories and systemd timers.</summary>
public sealed record ScheduledTaskSensorOptions
{
    /// <summary>The system crontab (with an account column).</summary>
    public string CrontabPath { get; init; } = "/etc/crontab";

    /// <summary>Directories of system crontab fragments (with an account column).</summary>
    public IReadOnlyList<string> SystemCronDirectories { get; init; } = ["/etc/cron.d"];

    /// <summary>Per-user crontabs, named after their user (Debian: /var/spool/cron/crontabs; Red Hat: /var/spool/cron).</summary>
    public IReadOnlyList<string> UserCronDirectories { get; init; } = ["/var/spool/cron/crontabs", "/var/spool/cron"];

    /// <summary>Directories whose scripts run-parts starts periodically, with that period as the schedule.</summary>
    public IReadOnlyDictionary<string, string> PeriodicDirectories { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/etc/cron.hourly"] = "@hourly",
        ["/etc/cron.daily"] = "@daily",
        ["/etc/cron.weekly"] = "@weekly",
        ["/etc/cron.monthly"] = "@monthly",
    };

    /// <summary>systemd unit directories searched for *.timer units (and the services they start), highest priority first.</summary>
    public IReadOnlyList<string> TimerDirectories { get; init; } = ["/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"];

    /// <summary>Where enabling a unit links it (*.wants) or masking it links it to /dev/null.</summary>
    public IReadOnlyList<string> EnablementDirectories { get; init; } = ["/etc/systemd/system", "/run/systemd/system"];

    public string PasswdPath { get; init; } = "/etc/passwd";
}
