using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Osprey.Node.Alerts;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// Streaming detection: the events of each stored telemetry batch go to their agent's partition (a bounded queue with
/// one worker, chosen by a hash of the agent ID), so each agent's events are evaluated in the order they were stored.
/// Workers evaluate the current rule set and record matches as alerts. Ingest never waits longer than
/// <see cref="DetectionOptions.EnqueueWaitMs"/>: past that, the batch's events are counted as a backlog drop, logged,
/// and recorded in the node store (agent, sequences, times). They remain stored; detection catches up on them from the
/// events database once their partition has room again, and removes the record only after they were evaluated (a
/// restart in between evaluates them again; alerts link a rule to an event once).
/// </summary>
public sealed partial class DetectionService : IHostedService, IAsyncDisposable
{
    private readonly DetectionRuleSet _rules;
    private readonly INodeStore _store;
    private readonly IEventStore _events;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _catchUp;
    private long _caughtUp;
    private readonly TimeProvider _time;
    private readonly ILogger<DetectionService> _logger;
    private readonly DetectionOptions _options;
    private readonly Channel<DetectionWork>[] _partitions;
    private Task[] _workers = [];
    private long _evaluated;
    private long _droppedEvents;
    private long _droppedBatches;
    private long _matches;
    private long _failedBatches;

    public DetectionService(
        DetectionRuleSet rules, INodeStore store, IEventStore events, TimeProvider time, IOptions<NodeOptions> options, ILogger<DetectionService> logger)
    {
        _rules = rules;
        _store = store;
        _events = events;
        _time = time;
        _logger = logger;
        _options = options.Value.Detection;
        _partitions = new Channel<DetectionWork>[_options.EffectivePartitions];
        for (var i = 0; i < _partitions.Length; i++)
        {
            _partitions[i] = Channel.CreateBounded<DetectionWork>(new BoundedChannelOptions(_options.QueueBatches)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    /// <summary>Events evaluated, events skipped because their partition stayed full, rule matches recorded, batches whose alerts could not be stored.</summary>
    public DetectionCounters Counters => new(
        Interlocked.Read(ref _evaluated), Interlocked.Read(ref _droppedEvents), Interlocked.Read(ref _droppedBatches),
        Interlocked.Read(ref _matches), Interlocked.Read(ref _failedBatches), Interlocked.Read(ref _caughtUp));

    public int PartitionOf(string agentId) => (int)((uint)StableHash(agentId) % (uint)_partitions.Length);

    /// <summary>
    /// Queues a stored batch for evaluation. Returns at once when its partition has room, after at most the configured
    /// wait otherwise; false when the events were dropped from streaming evaluation.
    /// </summary>
    public async ValueTask<bool> SubmitAsync(string agentId, IReadOnlyList<Event> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return true;
        }
        var work = new DetectionWork(agentId, events, _time.GetTimestamp());
        var writer = _partitions[PartitionOf(agentId)].Writer;
        if (writer.TryWrite(work))
        {
            return true;
        }
        if (_options.EnqueueWaitMs > 0)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(_options.EnqueueWaitMs);
            try
            {
                await writer.WriteAsync(work, wait.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (ChannelClosedException)
            {
            }
        }
        Interlocked.Add(ref _droppedEvents, events.Count);
        var batches = Interlocked.Increment(ref _droppedBatches);
        LogBacklogDrop(_logger, events.Count, agentId, PartitionOf(agentId), batches);
        try
        {
            _store.AddDetectionBacklog(new DetectionBacklogEntry
            {
                AgentId = agentId,
                FirstSeq = (long)events.Min(e => e.Sequence),
                LastSeq = (long)events.Max(e => e.Sequence),
                FromUs = events.Min(e => e.TimeUs),
                ToUs = events.Max(e => e.TimeUs),
                StoredUs = _time.NowUs(),
                Events = events.Count,
            });
        }
        catch (Exception e)
        {
            LogBacklogRecordFailed(_logger, events.Count, agentId, e);
        }
        return false;
    }

    /// <summary>
    /// Evaluates skipped batches from the events database, oldest first, each once its partition is at most half full;
    /// it waits for room rather than skipping again.
    /// </summary>
    private async Task CatchUpLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.CatchUpIntervalMs), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                foreach (var entry in _store.DetectionBacklog(64))
                {
                    var partition = _partitions[PartitionOf(entry.AgentId)];
                    if (partition.Reader.Count > _options.QueueBatches / 2)
                    {
                        continue;
                    }
                    await CatchUpAsync(entry, partition.Writer, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogCatchUpFailed(_logger, e);
        }
    }

    private async Task CatchUpAsync(DetectionBacklogEntry entry, ChannelWriter<DetectionWork> writer, CancellationToken stopping)
    {
        const int Chunk = 1024;
        var chunk = new List<Event>(Chunk);
        var count = 0;
        await foreach (var body in _events.ReadSequencesAsync(entry.AgentId, entry.FirstSeq, entry.LastSeq, entry.FromUs, entry.ToUs, entry.StoredUs, stopping).ConfigureAwait(false))
        {
            chunk.Add(Event.Parser.ParseFrom(body));
            count++;
            if (chunk.Count == Chunk)
            {
                await writer.WriteAsync(new DetectionWork(entry.AgentId, chunk, _time.GetTimestamp()), stopping).ConfigureAwait(false);
                chunk = new List<Event>(Chunk);
            }
        }
        // The entry goes once the last chunk is evaluated (chunks of one agent are evaluated in order).
        await writer.WriteAsync(new DetectionWork(entry.AgentId, chunk, _time.GetTimestamp(), () =>
        {
            Interlocked.Add(ref _caughtUp, count);
            _store.RemoveDetectionBacklog(entry.Id);
            LogCaughtUp(_logger, count, entry.AgentId, entry.FirstSeq, entry.LastSeq);
        }), stopping).ConfigureAwait(false);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _rules.Rebuild();
        _workers = [.. _partitions.Select(p => Task.Factory.StartNew(() => RunAsync(p.Reader), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap())];
        _catchUp = Task.Run(() => CatchUpLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_catchUp is not null)
        {
            await _catchUp.ConfigureAwait(false);
        }
        foreach (var partition in _partitions)
        {
            partition.Writer.TryComplete();
        }
        // Queued batches are evaluated before the node stops, unless the host gives up waiting.
        await Task.WhenAll(_workers).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task RunAsync(ChannelReader<DetectionWork> reader)
    {
        var matches = new List<SigmaMatch>();
        var hits = new List<DetectionHit>();
        await foreach (var work in reader.ReadAllAsync().ConfigureAwait(false))
        {
            var snapshot = _rules.Current;
            hits.Clear();
            foreach (var e in work.Events)
            {
                matches.Clear();
                snapshot.Engine.Evaluate(e, matches);
                foreach (var match in matches)
                {
                    if (snapshot.Rules.TryGetValue(match.Rule, out var rule))
                    {
                        hits.Add(AlertHits.From(rule, e, work.AgentId));
                    }
                }
                if (!snapshot.Ioc.IsEmpty && EventIocObjects.From(e) is { Count: > 0 } objects)
                {
                    // One alert link per rule and event, whichever of its indicators matched.
                    foreach (var rule in snapshot.Ioc.Match(objects).Select(m => m.Entry.Rule).DistinctBy(r => r.RuleId))
                    {
                        hits.Add(AlertHits.From(rule, e, work.AgentId));
                    }
                }
                if (snapshot.Custom.Count > 0)
                {
                    // Custom rules read the event as the store keeps it, so they match what hunting finds.
                    var record = StoredEventRecord.From(e, work.AgentId);
                    foreach (var (matcher, rule) in snapshot.Custom)
                    {
                        if (matcher.Matches(record))
                        {
                            hits.Add(AlertHits.From(rule, e, work.AgentId));
                        }
                    }
                }
            }
            Interlocked.Add(ref _evaluated, work.Events.Count);
            if (hits.Count > 0)
            {
                Record(hits, work);
            }
            if (work.Evaluated is { } evaluated)
            {
                try
                {
                    evaluated();
                }
                catch (Exception e)
                {
                    LogCatchUpFailed(_logger, e);
                }
            }
        }
    }

    private void Record(List<DetectionHit> hits, DetectionWork work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var outcomes = _store.RecordDetections(hits, _time.NowUs());
                Interlocked.Add(ref _matches, hits.Count);
                var created = outcomes.Count(o => o.Change == AlertChange.Created);
                LogRecorded(_logger, hits.Count, work.AgentId, created, _time.GetElapsedTime(work.QueuedTicks).TotalMilliseconds);
                return;
            }
            catch (Exception e) when (attempt < 3)
            {
                LogRecordRetry(_logger, work.AgentId, attempt, e);
                Thread.Sleep(100 * attempt);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failedBatches);
                LogRecordFailed(_logger, hits.Count, work.AgentId, e);
                return;
            }
        }
    }

    // FNV-1a over the UTF-16 code units: string.GetHashCode is randomised per process, a partition need not be, but a stable one reads better in logs.
    private static int StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)hash;
    }

    [LoggerMessage(EventId = 4016, Level = LogLevel.Error, Message = "Detection backlog: {Events} skipped events of agent {AgentId} could not be recorded for catch-up")]
    private static partial void LogBacklogRecordFailed(ILogger logger, int events, string agentId, Exception exception);

    [LoggerMessage(EventId = 4017, Level = LogLevel.Information, Message = "Detection caught up on {Events} skipped events of agent {AgentId} (sequences {First}..{Last})")]
    private static partial void LogCaughtUp(ILogger logger, int events, string agentId, long first, long last);

    [LoggerMessage(EventId = 4018, Level = LogLevel.Error, Message = "Detection catch-up failed; it is tried again at the next interval")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Detection backlog: {Events} events of agent {AgentId} skipped streaming evaluation (partition {Partition} full; {Batches} batches so far); they are stored")]
    private static partial void LogBacklogDrop(ILogger logger, int events, string agentId, int partition, long batches);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "{Hits} rule matches of agent {AgentId} recorded ({Created} new alerts), {Ms} ms after the batch was stored")]
    private static partial void LogRecorded(ILogger logger, int hits, string agentId, int created, double ms);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Recording alerts of agent {AgentId} failed (attempt {Attempt}); retrying")]
    private static partial void LogRecordRetry(ILogger logger, string agentId, int attempt, Exception exception);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Error, Message = "{Hits} rule matches of agent {AgentId} could not be recorded as alerts")]
    private static partial void LogRecordFailed(ILogger logger, int hits, string agentId, Exception exception);
}
