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

    /// <summary>Exec: cmdline bytes, then the executable path; rented from the shared array pool.</summary>
    public byte[]? Capture;

    /// <summary>Exec: length of the cmdline bytes in <see cref="Capture"/>, -1 when it could not be read.</summary>
    public int ArgumentsLength;

    /// <summary>Exec: length of the executable path after the cmdline bytes, -1 when it could not be read.</summary>
    public int ExeLength;

    /// <summary>Loss: how many events the kernel dropped.</summary>
    public long LostCount;

    /// <summary>Loss: why.</summary>
    public string? LossReason;
}
