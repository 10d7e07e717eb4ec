namespace Osprey.Agent.Sensors.HostState;

/// <summary>Where the logon sensor finds the session records and the authentication log.</summary>
public sealed record LogonSensorOptions
{
    /// <summary>Current sessions (one slot per terminal).</summary>
    public string UtmpPath { get; init; } = "/var/run/utmp";

    /// <summary>Append-only history of logons, logoffs, boots and shutdowns.</summary>
    public string WtmpPath { get; init; } = "/var/log/wtmp";

    /// <summary>syslog's authentication log, for failed logons; null to ignore it.</summary>
    public string? AuthLogPath { get; init; } = "/var/log/auth.log";

    public string PasswdPath { get; init; } = "/etc/passwd";

    /// <summary>Most bytes read from one file per wake-up; a larger jump (a flood, a restored file) is skipped and counted as lost.</summary>
    public long MaxReadBytes { get; init; } = 4 << 20;
}
