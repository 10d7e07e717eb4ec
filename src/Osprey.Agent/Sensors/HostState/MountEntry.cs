namespace Osprey.Agent.Sensors.HostState;

/// <summary>One line of /proc/PID/mountinfo, with the mount point unescaped.</summary>
public sealed record MountEntry(
    int Id, int ParentId, string MajorMinor, string Root, string MountPoint, string FsType, string Source, IReadOnlyList<string> Options)
{
    /// <summary>Label and UUID of the volume once resolved; null until looked up.</summary>
    public (string Label, string Uuid)? Volume { get; set; }
}
