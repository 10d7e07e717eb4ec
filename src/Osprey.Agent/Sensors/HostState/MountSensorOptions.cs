namespace Osprey.Agent.Sensors.HostState;

/// <summary>Where the mount sensor reads the mount table and resolves volume labels and UUIDs.</summary>
public sealed record MountSensorOptions
{
    public string MountInfoPath { get; init; } = "/proc/self/mountinfo";

    /// <summary>udev's link tree (by-label, by-uuid).</summary>
    public string DiskDirectory { get; init; } = "/dev/disk";

    public string SysDevBlockDirectory { get; init; } = "/sys/dev/block";

    /// <summary>Read the superblock of a mounted block device when udev has no label or UUID link for it.</summary>
    public bool ProbeSuperblocks { get; init; } = true;
}
