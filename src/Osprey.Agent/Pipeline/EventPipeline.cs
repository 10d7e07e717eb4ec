using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Osprey.Agent.Hosting;
using Osprey.Agent.Outbox;
using Osprey.Agent.Sensors;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Pipeline;

/// <summary>
/// Sensors → bounded queue → exclusions → outbox. One consumer stamps each event (ID, device) and commits
/// what is waiting in one transaction, so an event is on disk, with its sequence number, before the next
/// stage sees it. A full queue is a counted loss at the sensor, never a stall of a kernel reader.
/// After the first event of a quiet spell the consumer lingers for <see cref="CommitLinger"/> so the events
/// that follow share its commit: at a few hundred events per second that is a few commits (and fsyncs) per
/// second instead of one per event.
/// </summary>
public sealed partial class EventPipeline(EventOutbox outbox, ExclusionFilter exclusions, HostInfo host, Action appended, ILogger<EventPipeline> logger) : IEventSink
{
    public const int QueueCapacity = 32_768;
    private const int MaxPerCommit = 4_096;

    /// <summary>
    /// How long a commit waits for further events; the delay before an event is on disk, at most. Under steady load it
    /// sets the commit rate, each with an fsync: 100 ms (10 commits a second) instead of 50 took the steady bench's
    /// agent from about 5.0% to 4.7% of a core; an event still reaches the disk long before any batch leaves.
    /// </summary>
    public static readonly TimeSpan CommitLinger = TimeSpan.FromMilliseconds(100);
    private readonly Channel<Event> _queue = Channel.CreateBounded<Event>(new BoundedChannelOptions(QueueCapacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });
    private long _excluded;
    private long _stored;

    public long Excluded => Interlocked.Read(ref _excluded);

    public long Stored => Interlocked.Read(ref _stored);

    public int Waiting => _queue.Reader.Count;

    public bool TryEmit(Event e) => _queue.Writer.TryWrite(e);

    /// <summary>Queues an event the agent itself produces (lifecycle, sensor gaps), waiting for room.</summary>
    public ValueTask EmitAsync(Event e, CancellationToken cancellationToken) => _queue.Writer.WriteAsync(e, cancellationToken);

    /// <summary>Stops accepting events; <see cref="RunAsync"/> stores what is queued and returns.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batch = new List<Event>(MaxPerCommit);
        var ip = HostInfo.PrimaryIp();
        var device = host.DeviceRef(ip);
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.Count < MaxPerCommit)
                {
                    await Task.Delay(CommitLinger, cancellationToken).ConfigureAwait(false);
                }
                batch.Clear();
                while (batch.Count < MaxPerCommit && reader.TryRead(out var e))
                {
                    if (exclusions.Excludes(e))
                    {
                        Interlocked.Increment(ref _excluded);
                        continue;
                    }
                    if (e.EventId.Length == 0)
                    {
                        e.EventId = Guid.CreateVersion7().ToString("D");
                    }
                    e.Device = device;
                    batch.Add(e);
                }
                Store(batch);
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: whatever is still queued is stored before the outbox closes.
            batch.Clear();
            while (reader.TryRead(out var e))
            {
                e.Device = device;
                if (e.EventId.Length == 0)
                {
                    e.EventId = Guid.CreateVersion7().ToString("D");
                }
                batch.Add(e);
            }
            Store(batch);
        }
    }

    private void Store(List<Event> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        // A full or failing disk must not lose what is in hand: retry until it is stored. Meanwhile the
        // queue fills and sensors count what they cannot hand over.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                outbox.Append(batch);
                break;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                LogStoreFailed(logger, batch.Count, e.Message, attempt);
                Thread.Sleep(TimeSpan.FromSeconds(Math.Min(30, attempt)));
            }
        }
        Interlocked.Add(ref _stored, batch.Count);
        LogStored(logger, batch.Count, batch[^1].Sequence);
        appended();
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Cannot store {Count} events in the outbox ({Reason}); attempt {Attempt}, retrying")]
    private static partial void LogStoreFailed(ILogger logger, int count, string reason, int attempt);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Trace, Message = "Stored {Count} events up to sequence {Sequence}")]
    private static partial void LogStored(ILogger logger, int count, ulong sequence);
}
