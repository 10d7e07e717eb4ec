namespace Osprey.Agent.Sensors.Processes;

/// <summary>Tuning of the process and library-load sensor; the defaults suit a server or workstation.</summary>
public sealed record ProcessSensorOptions
{
    /// <summary>Kernel receive buffer of the proc connector socket (SO_RCVBUFFORCE): the burst it absorbs while the agent is busy.</summary>
    public int ReceiveBufferBytes { get; init; } = 8 << 20;

    /// <summary>
    /// Real-time (SCHED_FIFO) priority of the socket reader thread; null keeps it a normal thread. A process that lives
    /// a millisecond is captured only if the reader runs within that millisecond, which on a loaded host only a
    /// real-time thread is sure to. The reader sleeps in the kernel when idle and does a few /proc reads per message,
    /// and 1 is the lowest real-time priority, below every kernel real-time thread.
    /// </summary>
    public int? ReaderRealTimePriority { get; init; } = 1;

    /// <summary>Nice value of the reader thread when real-time scheduling is off or refused (no CAP_SYS_NICE); null leaves it alone.</summary>
    public int? ReaderNice { get; init; } = -15;

    /// <summary>
    /// Nice value of the enrichment thread; null leaves it alone. Garbage collections it triggers pause the reader
    /// too, and run at this thread's priority.
    /// </summary>
    public int? WorkerNice { get; init; } = -5;

    /// <summary>
    /// Connector messages waiting between the socket reader and the enrichment thread. Each waiting exec holds a capture
    /// buffer (about 17 KB with the default environment room), so this also bounds that memory (about 35 MB when full).
    /// </summary>
    public int QueueCapacity { get; init; } = 2048;

    /// <summary>
    /// Records each exec in the kernel (a BPF program on sched_process_exec: arguments, environment, executable,
    /// working directory and IDs) for the processes gone from /proc before the reader looks. When the kernel refuses
    /// it (no BTF, no CAP_BPF) the sensor runs from /proc alone and says so in its health message.
    /// </summary>
    public bool KernelExecCapture { get; init; } = true;

    /// <summary>Most bytes of a command line captured the instant a process executes (the copy used when it is gone before enrichment).</summary>
    public int CaptureCommandLineBytes { get; init; } = 32 * 1024;

    /// <summary>
    /// Most bytes of the environment captured the instant a process executes; a larger environment is left to the
    /// enrichment thread's read (and is unknown if the process is gone by then). 0 captures none.
    /// </summary>
    public int CaptureEnvironmentBytes { get; init; } = 12 * 1024;

    /// <summary>
    /// A process that forked and has not executed anything after this long gets a ProcessStart of its own (spawn syscall
    /// "fork"); one that exits sooner gets it just before its ProcessStop.
    /// </summary>
    public TimeSpan ForkAnnounceDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Emit ModuleLoad events from /proc/PID/maps.</summary>
    public bool ModuleLoads { get; init; } = true;

    /// <summary>When /proc/PID/maps is read after an exec: early for the libraries the loader maps, later for those opened at start-up.</summary>
    public IReadOnlyList<TimeSpan> ModuleScanDelays { get; init; } = [TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2)];

    /// <summary>How often every live process's maps are read again for libraries loaded later (dlopen).</summary>
    public TimeSpan ModuleRescanInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on /proc/PID/maps reads per second (exec follow-ups and periodic rescans together).</summary>
    public int ModuleScansPerSecond { get; init; } = 200;

    /// <summary>Libraries remembered per process (each is reported once per process).</summary>
    public int MaxModulesPerProcess { get; init; } = 1024;

    /// <summary>Largest /proc/PID/maps read.</summary>
    public int MaxMapsBytes { get; init; } = 4 << 20;

    /// <summary>Processes tracked at once (fork records, module sets); beyond this, state of exited processes is pruned.</summary>
    public int MaxTrackedProcesses { get; init; } = 65_536;

    /// <summary>Problems with these settings, one sentence each; empty when they are usable.</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        Range(problems, nameof(ReceiveBufferBytes), ReceiveBufferBytes, 64 * 1024, 1 << 30);
        Range(problems, nameof(QueueCapacity), QueueCapacity, 16, 1 << 20);
        Range(problems, nameof(CaptureCommandLineBytes), CaptureCommandLineBytes, 4096, 1 << 20);
        Range(problems, nameof(CaptureEnvironmentBytes), CaptureEnvironmentBytes, 0, 1 << 20);
        Range(problems, nameof(ModuleScansPerSecond), ModuleScansPerSecond, 1, 100_000);
        Range(problems, nameof(MaxModulesPerProcess), MaxModulesPerProcess, 16, 65_536);
        Range(problems, nameof(MaxMapsBytes), MaxMapsBytes, 4096, 64 << 20);
        Range(problems, nameof(MaxTrackedProcesses), MaxTrackedProcesses, 1024, 4 << 20);
        if (ReaderRealTimePriority is < 1 or > 99)
        {
            problems.Add($"{nameof(ReaderRealTimePriority)} must be between 1 and 99");
        }
        if (WorkerNice is < -20 or > 19)
        {
            problems.Add($"{nameof(WorkerNice)} must be between -20 and 19");
        }
        if (ReaderNice is < -20 or > 19)
        {
            problems.Add($"{nameof(ReaderNice)} must be between -20 and 19");
        }
        if (ForkAnnounceDelay < TimeSpan.Zero || ForkAnnounceDelay > TimeSpan.FromMinutes(10))
        {
            problems.Add($"{nameof(ForkAnnounceDelay)} must be between 0 and 10 minutes");
        }
        if (ModuleRescanInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"{nameof(ModuleRescanInterval)} must be at least one second");
        }
        foreach (var delay in ModuleScanDelays)
        {
            if (delay < TimeSpan.Zero || delay > TimeSpan.FromMinutes(1))
            {
                problems.Add($"{nameof(ModuleScanDelays)} entries must be between 0 and 1 minute");
                break;
            }
        }
        return problems;
    }

    private static void Range(List<string> problems, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name} must be between {min} and {max}");
        }
    }
}
