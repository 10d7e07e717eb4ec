namespace Osprey.Agent.Sensors.Processes;

/// <summary>The libraries already reported for one process.</summary>
internal sealed class ModuleState(long startTicks, bool baseline)
{
    /// <summary>Start ticks of the process the set belongs to (a reused PID starts over); -1 until first read.</summary>
    public long StartTicks { get; set; } = startTicks;

    /// <summary>True until the first read of a process that was running before the agent saw it start: that read is recorded, not reported.</summary>
    public bool Baseline { get; set; } = baseline;

    /// <summary>A read is waiting in the schedule.</summary>
    public bool Queued { get; set; }

    public HashSet<(ulong Device, ulong Inode)> Seen { get; } = [];
}
