namespace Osprey.Agent.Sensors;

public enum SensorState
{
    Starting,
    Running,
    Unsupported,
    Failed,
    Stopped,
}

/// <summary>
/// One sensor's state and counters, read by status and sync. Loss is counted here whether the kernel
/// dropped data (queue overflow) or the agent's own queue was full; every loss is also announced so the
/// host emits a sensor-gap event and rescans /proc.
/// </summary>
public sealed class SensorHealth(string source)
{
    private long _events;
    private long _lost;
    private volatile string? _message;
    private volatile SensorState _state = SensorState.Starting;

    public string Source { get; } = source;

    public SensorState State => _state;

    /// <summary>Why the sensor is unsupported or failed; null while it runs.</summary>
    public string? Message => _message;

    public long Events => Interlocked.Read(ref _events);

    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>Raised (on the reporting thread) for every loss: count and reason.</summary>
    public event Action<SensorHealth, long, string>? LossReported;

    public void SetState(SensorState state, string? message = null)
    {
        _message = message;
        _state = state;
    }

    public void CountEvent() => Interlocked.Increment(ref _events);

    public void ReportLoss(long count, string reason)
    {
        if (count <= 0)
        {
            return;
        }
        Interlocked.Add(ref _lost, count);
        LossReported?.Invoke(this, count, reason);
    }
}
