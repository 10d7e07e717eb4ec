using Osprey.Node.Ingest;

namespace Osprey.Node.Storage;

/// <summary>The events database: ingest with per-agent deduplication, hunting and retention.</summary>
public interface IEventStore : IAsyncDisposable
{
    void Initialize();

    /// <summary>
    /// Stores a validated batch from the agent; returns once what it stored is durable. Events whose sequence
    /// the node already holds are skipped.
    /// </summary>
    Task<IngestResult> IngestAsync(string agentId, ReceivedBatch batch, CancellationToken cancellationToken);

    /// <summary>Highest contiguous sequence held for the agent.</summary>
    ulong AckedSequence(string agentId);

    Task<EventPage> SearchAsync(EventQuery query, CancellationToken cancellationToken);

    Task<long> CountAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>The events a retrospective scan selects (agent and serialized event), oldest day first.</summary>
    IAsyncEnumerable<(string AgentId, byte[] Body)> ScanAsync(EventScan scan, CancellationToken cancellationToken);

    /// <summary>The stored events of one agent with sequences in <c>firstSeq..lastSeq</c> and times in <c>fromUs..toUs</c>, in sequence order.</summary>
    IAsyncEnumerable<byte[]> ReadSequencesAsync(string agentId, long firstSeq, long lastSeq, long fromUs, long toUs, long storedUs, CancellationToken cancellationToken);

    Task<ProcessTree> ProcessTreeAsync(string uniquePid, int maxEventsPerProcess, CancellationToken cancellationToken);

    /// <summary>Drops day partitions older than the retention age or beyond the size bound; returns how many.</summary>
    int ApplyRetention(DateTimeOffset now, int retentionDays, long maxBytes);

    IReadOnlyList<string> Partitions();
}
