namespace Osprey.Agent.Sensors.Processes;

/// <summary>Counters of the process sensor, for status pages and benchmarks; each is a running total since start.</summary>
public sealed class ProcessSensorCounters
{
    internal long StartsField;
    internal long PartialStartsField;
    internal long StartsWithoutCommandLineField;
    internal long StartsWithoutCredentialsField;
    internal long KernelRecordStartsField;
    internal long ForkStartsField;
    internal long StopsField;
    internal long UnattributedExitsField;
    internal long KernelOverflowsField;
    internal long KernelLostEventsField;
    internal long QueueWaitsField;
    internal long ConnectorMessagesField;
    internal long ModuleLoadsField;
    internal long ModuleScansField;

    /// <summary>ProcessStart events emitted (exec and fork).</summary>
    public long Starts => Interlocked.Read(ref StartsField);

    /// <summary>
    /// ProcessStart events built partly from the reader's first look (and inheritance) because /proc had lost the
    /// process before enrichment; their environment and working directory are unknown.
    /// </summary>
    public long PartialStarts => Interlocked.Read(ref PartialStartsField);

    /// <summary>ProcessStart events without a command line: the process was gone before even the first look.</summary>
    public long StartsWithoutCommandLine => Interlocked.Read(ref StartsWithoutCommandLineField);

    /// <summary>
    /// ProcessStart events without credentials, session and terminal: gone before they were read, and not inferable
    /// (a set-ID program, an unreported change, or no fork record).
    /// </summary>
    public long StartsWithoutCredentials => Interlocked.Read(ref StartsWithoutCredentialsField);

    /// <summary>
    /// Execs the reader completed from the kernel's exec record (the BPF exec capture) because /proc had already lost
    /// the process or part of it.
    /// </summary>
    public long KernelRecordStarts => Interlocked.Read(ref KernelRecordStartsField);

    /// <summary>ProcessStart events for processes that forked and did not execute (spawn syscall "fork").</summary>
    public long ForkStarts => Interlocked.Read(ref ForkStartsField);

    public long Stops => Interlocked.Read(ref StopsField);

    /// <summary>Exits of processes the sensor could not identify (no fork record, no table entry, already reaped): not emitted.</summary>
    public long UnattributedExits => Interlocked.Read(ref UnattributedExitsField);

    /// <summary>Times the kernel reported ENOBUFS (its socket buffer overflowed).</summary>
    public long KernelOverflows => Interlocked.Read(ref KernelOverflowsField);

    /// <summary>Connector messages the kernel sent but this socket never received (from per-CPU sequence gaps).</summary>
    public long KernelLostEvents => Interlocked.Read(ref KernelLostEventsField);

    /// <summary>Times the reader thread waited because the enrichment queue was full.</summary>
    public long QueueWaits => Interlocked.Read(ref QueueWaitsField);

    /// <summary>Connector messages received (every type, threads included).</summary>
    public long ConnectorMessages => Interlocked.Read(ref ConnectorMessagesField);

    /// <summary>ModuleLoad events emitted.</summary>
    public long ModuleLoads => Interlocked.Read(ref ModuleLoadsField);

    /// <summary>/proc/PID/maps reads done for library loads.</summary>
    public long ModuleScans => Interlocked.Read(ref ModuleScansField);
}
