using System.Net;
using System.Text.Json.Serialization;

namespace Osprey.Node.Configuration;

/// <summary>Settings of a Central Node, stored in node.json in its data directory.</summary>
public sealed record NodeOptions
{
    /// <summary>Address and port Kestrel listens on, e.g. 127.0.0.1:8443.</summary>
    public required string Listen { get; init; }

    public NodeRole Role { get; init; } = NodeRole.Standalone;

    /// <summary>Events older than this many days are dropped, a day partition at a time.</summary>
    public int RetentionDays { get; init; } = 30;

    /// <summary>Upper bound on the events database size; the oldest day partitions go first.</summary>
    public long RetentionMaxBytes { get; init; } = 200L * 1024 * 1024 * 1024;

    /// <summary>
    /// Database files the events are spread over, each with its own writer (agents are assigned by ID). A store
    /// that already has more files keeps them.
    /// </summary>
    public int EventWriters { get; init; } = Osprey.Node.Storage.SqliteEventStore.DefaultWriters;

    /// <summary>Most events one telemetry batch may carry.</summary>
    public int MaxBatchEvents { get; init; } = 10_000;

    /// <summary>Largest telemetry request body, after decompression.</summary>
    public int MaxBatchBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Longest a sync request may be held open waiting for tasks.</summary>
    public int MaxLongPollSeconds { get; init; } = 300;

    /// <summary>Storage of files (content-addressed objects): limits, capacity, upload expiry.</summary>
    public ObjectStorage.ObjectStorageOptions Storage { get; init; } = new();

    /// <summary>Streaming detection on ingest: partitions, queue depth, the most ingest waits for room.</summary>
    public Detection.DetectionOptions Detection { get; init; } = new();

    /// <summary>Alerts and the audit log to a SIEM (CEF over syslog, TCP or TLS).</summary>
    public Export.ExportOptions Export { get; init; } = new();

    [JsonIgnore]
    public IPEndPoint ListenEndPoint => IPEndPoint.Parse(Listen);

    /// <summary>Every problem with the options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IPEndPoint.TryParse(Listen, out var endPoint) || endPoint.Port == 0)
        {
            errors.Add($"listen: '{Listen}' is not an address:port such as 127.0.0.1:8443");
        }
        if (RetentionDays is < 1 or > 3650)
        {
            errors.Add($"retentionDays: {RetentionDays} is outside 1..3650");
        }
        if (RetentionMaxBytes < 1024 * 1024)
        {
            errors.Add($"retentionMaxBytes: {RetentionMaxBytes} is below 1 MiB");
        }
        if (EventWriters is < 1 or > Osprey.Node.Storage.SqliteEventStore.MaxWriters)
        {
            errors.Add($"eventWriters: {EventWriters} is outside 1..{Osprey.Node.Storage.SqliteEventStore.MaxWriters}");
        }
        if (MaxBatchEvents is < 1 or > 100_000)
        {
            errors.Add($"maxBatchEvents: {MaxBatchEvents} is outside 1..100000");
        }
        if (MaxBatchBytes is < 64 * 1024 or > 256 * 1024 * 1024)
        {
            errors.Add($"maxBatchBytes: {MaxBatchBytes} is outside 64 KiB..256 MiB");
        }
        if (MaxLongPollSeconds is < 0 or > 3600)
        {
            errors.Add($"maxLongPollSeconds: {MaxLongPollSeconds} is outside 0..3600");
        }
        errors.AddRange(Storage.Validate());
        errors.AddRange(Detection.Validate());
        errors.AddRange(Export.Validate());
        return errors;
    }
}
