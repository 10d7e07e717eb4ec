using Google.Protobuf;

namespace Osprey.Detection.Hunting;

/// <summary>
/// One event as <see cref="HuntingMatcher"/> reads it: the values of the typed columns, exactly as the events store writes
/// them (empty text and zero ports stored as no value), and the payload message behind the JSON column.
/// </summary>
public interface IHuntingRecord
{
    /// <summary>The value of a typed column by its column name (<c>command_line</c>): a string, a long, or null for none.</summary>
    object? Column(string column);

    /// <summary>The event's payload message (what the store keeps as JSON); null when the event has none.</summary>
    IMessage? Payload { get; }
}
