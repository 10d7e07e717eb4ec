namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// One process event as the reader thread saw it, with what it captured from /proc at that instant (for an exec: the
/// command line and executable path, in a pooled buffer the enrichment thread returns).
/// </summary>
internal struct ConnectorEvent
{
    public ConnectorEventKind Kind;

    /// <summary>The process (thread-group ID); for Fork the child.</summary>
    public int Pid;

    /// <summary>Fork: the creating process. Exit: the parent at exit (after any reparenting).</summary>
    public int ParentPid;

    /// <summary>Start time in clock ticks from /proc/PID/stat (the UniquePID input); -1 when it could not be read.</summary>
    public long StartTicks;

    /// <summary>Kernel timestamp (CLOCK_MONOTONIC nanoseconds).</summary>
    public long TimestampNs;

    /// <summary>Exit: the wait status (exit code in bits 8-15, terminating signal in bits 0-6).</summary>
    public uint ExitStatus;

    /// <summary>Fork: the child is a kernel thread (PF_KTHREAD).</summary>
    public bool KernelThread;

    /// <summary>Exec: cmdline bytes, then the executable path, the working directory and environ bytes (from the reader's capture buffers).</summary>
    public byte[]? Capture;

    /// <summary>Exec: length of the cmdline bytes in <see cref="Capture"/>, -1 when it could not be read.</summary>
    public int ArgumentsLength;

    /// <summary>Exec: length of the executable path after the cmdline bytes, -1 when it could not be read.</summary>
    public int ExeLength;

    /// <summary>Exec: length of the working directory after the executable path, -1 when it could not be read.</summary>
    public int CwdLength;

    /// <summary>Exec: length of the environ bytes after the working directory, -1 when not read in full.</summary>
    public int EnvironmentLength;

    public readonly ReadOnlySpan<byte> CapturedArguments => Part(0, ArgumentsLength);

    public readonly ReadOnlySpan<byte> CapturedExe => Part(Skip(ArgumentsLength), ExeLength);

    public readonly ReadOnlySpan<byte> CapturedCwd => Part(Skip(ArgumentsLength) + Skip(ExeLength), CwdLength);

    public readonly ReadOnlySpan<byte> CapturedEnvironment => Part(Skip(ArgumentsLength) + Skip(ExeLength) + Skip(CwdLength), EnvironmentLength);

    /// <summary>Exec: the IDs below are the kernel exec record's (the process may be gone from /proc).</summary>
    public bool IdsCaptured;

    /// <summary>Exec: real user, real group, effective user and effective group at the exec, when <see cref="IdsCaptured"/>.</summary>
    public uint Uid, Gid, Euid, Egid;

    /// <summary>Loss: how many events the kernel dropped.</summary>
    public long LostCount;

    /// <summary>Loss: why.</summary>
    public string? LossReason;

    private static int Skip(int length) => Math.Max(length, 0);

    private readonly ReadOnlySpan<byte> Part(int start, int length) =>
        Capture is null || length <= 0 ? [] : Capture.AsSpan(start, length);
}
