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

    /// <summary>How often detection looks for skipped batches to catch up on (evaluated once their partition is at most half full).</summary>
    public int CatchUpIntervalMs { get; init; } = 2_000;

    /// <summary>Objects arriving in Storage that wait for their YARA scan; past that, new objects are not scanned (counted and logged).</summary>
    public int YaraQueueObjects { get; init; } = 256;

    /// <summary>Objects in Storage larger than this are not scanned with YARA.</summary>
    public long YaraMaxObjectBytes { get; init; } = 256L << 20;

    /// <summary>Time limit of the YARA scan of one object in Storage.</summary>
    public int YaraTimeoutSeconds { get; init; } = 60;

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
        if (CatchUpIntervalMs is < 10 or > 600_000)
        {
            errors.Add($"detection.catchUpIntervalMs: {CatchUpIntervalMs} is outside 10..600000");
        }
        if (EnqueueWaitMs is < 0 or > 10_000)
        {
            errors.Add($"detection.enqueueWaitMs: {EnqueueWaitMs} is outside 0..10000");
        }
        if (YaraQueueObjects is < 1 or > 100_000)
        {
            errors.Add($"detection.yaraQueueObjects: {YaraQueueObjects} is outside 1..100000");
        }
        if (YaraMaxObjectBytes < 0)
        {
            errors.Add($"detection.yaraMaxObjectBytes: {YaraMaxObjectBytes} is negative");
        }
        if (YaraTimeoutSeconds is < 1 or > 3600)
        {
            errors.Add($"detection.yaraTimeoutSeconds: {YaraTimeoutSeconds} is outside 1..3600");
        }
        return errors;
    }
}
