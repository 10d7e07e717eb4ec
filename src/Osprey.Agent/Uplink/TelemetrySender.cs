using System.Net;
using Microsoft.Extensions.Logging;
using Osprey.Agent.Outbox;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Uplink;

/// <summary>
/// Delivers the outbox in sequence order: a batch leaves when enough events wait or the batch interval has
/// passed, the node's acknowledgement removes what it holds, and failures back off with jitter. A batch the
/// node refuses as malformed is halved until the one event it refuses is found; that event is replaced by a
/// drop record so it cannot block delivery.
/// </summary>
public sealed partial class TelemetrySender(
    EventOutbox outbox, NodeConnector node, TimeSpan interval, int batchMaxEvents, Backoff backoff, TimeProvider time, ILogger<TelemetrySender> logger)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _signal = new(0, 1);
    private ulong _sentUpTo;
    // The outbox's last sequence from which a Notify wakes the sender.
    private ulong _wakeAt = 1;

    /// <summary>Highest sequence the node has acknowledged.</summary>
    public ulong AckedSequence { get; private set; }

    /// <summary>
    /// Tells the sender events were appended. It is woken only when that can change its decision: the first event after
    /// an empty outbox, or a full batch; otherwise its own batch interval sends them (a wake-up per commit was most of
    /// its work under steady load).
    /// </summary>
    public void Notify()
    {
        if (outbox.LastSequence >= Volatile.Read(ref _wakeAt) && _signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var batchSize = batchMaxEvents;
        var lastSend = time.GetUtcNow();
        while (!cancellationToken.IsCancellationRequested)
        {
            var last = outbox.LastSequence;
            var waiting = last - _sentUpTo;
            var due = lastSend + interval;
            var now = time.GetUtcNow();
            if (waiting == 0 || (waiting < (ulong)batchMaxEvents && now < due))
            {
                Volatile.Write(ref _wakeAt, _sentUpTo + (waiting == 0 ? 1 : (ulong)batchMaxEvents));
                if (outbox.LastSequence != last)
                {
                    // Appended before the threshold was set: that Notify may have been skipped.
                    continue;
                }
                await WaitAsync(waiting == 0 ? interval : due - now, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var entries = outbox.Read(_sentUpTo, batchSize);
            if (entries.Count == 0)
            {
                _sentUpTo = outbox.LastSequence;
                continue;
            }
            try
            {
                var reply = await node.PostAsync("/agent/v1/telemetry", Encode(entries), RequestTimeout, cancellationToken).ConfigureAwait(false);
                var ack = TelemetryAck.Parser.ParseFrom(reply);
                outbox.Acknowledge(ack.AckedSequence);
                AckedSequence = ack.AckedSequence;
                _sentUpTo = entries[^1].Sequence;
                lastSend = time.GetUtcNow();
                backoff.Reset();
                batchSize = batchMaxEvents;
                LogBatchSent(logger, entries.Count, entries[0].Sequence, entries[^1].Sequence, ack.AckedSequence);
            }
            catch (NodeRefusedException e) when (e.Status == HttpStatusCode.BadRequest)
            {
                if (entries.Count > 1)
                {
                    batchSize = Math.Max(1, entries.Count / 2);
                    continue;
                }
                LogEventRefused(logger, entries[0].Sequence, e.Detail);
                outbox.Reject(entries[0], $"the node refused event {entries[0].Sequence}: {e.Detail}");
                batchSize = batchMaxEvents;
            }
            catch (Exception e) when (e is NodeUnavailableException or NodeRefusedException)
            {
                // Resend from what the node confirmed; it ignores what it already holds.
                _sentUpTo = AckedSequence;
                var delay = backoff.NextDelay();
                LogSendFailed(logger, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _signal.WaitAsync(timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A TelemetryBatch on the wire is field 1 (length-delimited) once per event: the stored bytes need no re-encoding.</summary>
    public static byte[] Encode(IReadOnlyList<OutboxEntry> entries)
    {
        const byte EventsTag = (TelemetryBatch.EventsFieldNumber << 3) | 2;
        var size = entries.Sum(e => 1 + Google.Protobuf.CodedOutputStream.ComputeLengthSize(e.Body.Length) + e.Body.Length);
        var buffer = new byte[size];
        var position = 0;
        foreach (var entry in entries)
        {
            buffer[position++] = EventsTag;
            for (var length = (uint)entry.Body.Length; ; length >>= 7)
            {
                if (length < 0x80)
                {
                    buffer[position++] = (byte)length;
                    break;
                }
                buffer[position++] = (byte)(length | 0x80);
            }
            entry.Body.CopyTo(buffer, position);
            position += entry.Body.Length;
        }
        return buffer;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Sent {Count} events ({First}..{Last}); the node acknowledges up to {Acked}")]
    private static partial void LogBatchSent(ILogger logger, int count, ulong first, ulong last, ulong acked);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Telemetry not delivered: {Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogSendFailed(ILogger logger, string reason, double seconds);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "The node refuses event {Sequence}: {Detail}; it is dropped and a drop record sent instead")]
    private static partial void LogEventRefused(ILogger logger, ulong sequence, string detail);
}
