namespace Osprey.Node.Detection;

/// <summary>Streaming detection: how many partitions (one worker each), how deep each queue is, how long ingest may wait for room.</summary>
public sealed record DetectionOptions
{
    /// <summary>Partitions, each a bounded queue with one worker; an agent always maps to the same one. 0: one per core (at most 8).</summary>
    public int Partitions { get; init; }

    /// <summary>Telemetry batches each partition's queue holds.</summary>
    public int QueueBatches { get; init; } = 256;

    /// <summary>
    /// How long a telemetry request waits for room in a full queue before its events are counted as a detection
    /// backlog drop (they stay stored; only streaming evaluation skips them).
    /// </summary>
    public int EnqueueWaitMs { get; init; } = 50;

    public int EffectivePartitions => Partitions > 0 ? Partitions : Math.Clamp(Environment.ProcessorCount, 1, 8);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Partitions is < 0 or > 256)
        {
            errors.Add($"detection.partitions: {Partitions} is outside 0..256");
        }
        if (QueueBatches is < 1 or > 100_000)
        {
            errors.Add($"detection.queueBatches: {QueueBatches} is outside 1..100000");
        }
        if (EnqueueWaitMs is < 0 or > 10_000)
        {
            errors.Add($"detection.enqueueWaitMs: {EnqueueWaitMs} is outside 0..10000");
        }
        return errors;
    }
}
