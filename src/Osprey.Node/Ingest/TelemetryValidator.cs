using Google.Protobuf;
using Osprey.Contracts.V1;

namespace Osprey.Node.Ingest;

/// <summary>Checks a whole telemetry batch before any of it is stored; the first problem rejects the batch.</summary>
public static class TelemetryValidator
{
    /// <summary>Largest sequence number accepted (fits a JSON number and a signed SQL integer).</summary>
    public const ulong MaxSequence = (1UL << 53) - 1;

    private const int MaxEventBytes = 1024 * 1024;
    private const int MaxEventIdLength = 64;

    public static string? Validate(ReceivedBatch batch, int maxEvents)
    {
        if (batch.Events.Count > maxEvents)
        {
            return $"the batch holds {batch.Events.Count} events; at most {maxEvents} are accepted in one batch";
        }
        ulong previous = 0;
        for (var i = 0; i < batch.Events.Count; i++)
        {
            var e = batch.Events[i];
            var error = batch.Bodies[i].Length > MaxEventBytes ? $"the event is larger than {MaxEventBytes} bytes" : ValidateEvent(e, previous);
            if (error is not null)
            {
                return $"event {i} (sequence {e.Sequence}): {error}";
            }
            previous = e.Sequence;
        }
        return null;
    }

    private static string? ValidateEvent(Event e, ulong previous)
    {
        if (e.Sequence == 0 || e.Sequence > MaxSequence)
        {
            return $"sequence numbers run from 1 to {MaxSequence}";
        }
        if (e.Sequence <= previous)
        {
            return $"sequence numbers must increase within a batch (previous was {previous})";
        }
        if (e.EventId.Length is 0 or > MaxEventIdLength)
        {
            return $"an event ID of 1 to {MaxEventIdLength} characters is required";
        }
        if (e.Type == EventType.Unspecified || !Enum.IsDefined(e.Type))
        {
            return $"unknown event type {(int)e.Type}";
        }
        if ((int)e.PayloadCase != (int)e.Type)
        {
            return $"event type {EventColumns.TypeName(e.Type)} does not match its payload ({e.PayloadCase})";
        }
        if (e.TimeUs <= 0)
        {
            return "an event time is required";
        }
        if (e.Process is { UniquePid.Length: > 0 } p && !IsUniquePid(p.UniquePid))
        {
            return "a UniquePID is 32 lowercase hexadecimal digits";
        }
        if (e.ParentUniquePid.Length > 0 && !IsUniquePid(e.ParentUniquePid))
        {
            return "a parent UniquePID is 32 lowercase hexadecimal digits";
        }
        if (e.PayloadCase == Event.PayloadOneofCase.DataDropped)
        {
            var d = e.DataDropped;
            if (d.FirstSequence == 0 || d.FirstSequence > d.LastSequence || d.LastSequence >= e.Sequence)
            {
                return "a drop record must name a range of sequences before its own";
            }
        }
        return null;
    }

    private static bool IsUniquePid(string value) =>
        value.Length == 32 && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
