namespace Osprey.Agent.Sensors.HostState;

/// <summary>One job line of a crontab: its line number, schedule ("*/5 * * * *" or "@reboot"), account (system crontabs only) and command.</summary>
public sealed record CronJob(int Line, string Schedule, string? User, string Command);
