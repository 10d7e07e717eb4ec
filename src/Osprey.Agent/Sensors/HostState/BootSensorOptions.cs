namespace Osprey.Agent.Sensors.HostState;

/// <summary>Where the boot sensor reads this boot's identity and the previous boot's end.</summary>
public sealed record BootSensorOptions
{
    public string BootIdPath { get; init; } = "/proc/sys/kernel/random/boot_id";

    /// <summary>Holds the "btime" line: boot time in Unix seconds.</summary>
    public string StatPath { get; init; } = "/proc/stat";

    public string OsReleasePath { get; init; } = "/proc/sys/kernel/osrelease";

    public string WtmpPath { get; init; } = "/var/log/wtmp";

    /// <summary>How often the sensor records that this boot is still alive (the best end time of a boot that crashed).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How much of the end of wtmp is searched for the previous boot's shutdown record.</summary>
    public long WtmpTailBytes { get; init; } = 1 << 20;
}
