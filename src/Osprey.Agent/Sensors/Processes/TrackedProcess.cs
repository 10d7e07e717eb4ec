namespace Osprey.Agent.Sensors.Processes;

/// <summary>What the process sensor remembers about a process between its fork, exec and exit.</summary>
internal sealed class TrackedProcess
{
    public required int Pid { get; init; }

    /// <summary>The process that created it (from the fork record), or its parent when first seen.</summary>
    public int ParentPid { get; set; }

    public ProcessInfo? Parent { get; set; }

    /// <summary>-1 when even the fork-time read of /proc failed and the ID was estimated from the kernel timestamp.</summary>
    public long StartTicks { get; set; }

    public required string UniquePid { get; set; }

    public long ForkTimestampNs { get; set; }

    public bool KernelThread { get; set; }

    /// <summary>It executed a program since the sensor saw it (or was already running).</summary>
    public bool Executed { get; set; }

    /// <summary>A ProcessStart was emitted for it (or it was already running when the sensor started).</summary>
    public bool Announced { get; set; }

    /// <summary>The latest state read, or built from the first look when /proc had lost it.</summary>
    public ProcessInfo? Info { get; set; }

    /// <summary>A UID, GID or SID change was reported that could not be read from /proc.</summary>
    public bool IdentityChanged { get; set; }

    /// <summary>Credentials and session of <see cref="Info"/> come from /proc (false when they are unknown).</summary>
    public bool Complete { get; set; }
}
