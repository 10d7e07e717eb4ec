namespace Osprey.Detection.Hunting;

/// <summary>The event types whose payload declares a JSON field, and the column that holds an event's type.</summary>
/// <remarks>
/// For these event types a missing integer, time or boolean reads as its proto3 default (0 or false), because
/// JsonFormatter leaves default values out; for every other event type the field has no value at all.
/// </remarks>
public sealed record PayloadScope
{
    /// <summary>Creates a scope; every name must be an ASCII identifier, because the compiler writes them into SQL as literals.</summary>
    public PayloadScope(string eventTypeColumn, IReadOnlyList<string> eventTypes)
    {
        ArgumentNullException.ThrowIfNull(eventTypeColumn);
        ArgumentNullException.ThrowIfNull(eventTypes);
        if (!HuntingNames.IsIdentifier(eventTypeColumn))
        {
            throw new ArgumentException("The event type column must be an identifier.", nameof(eventTypeColumn));
        }

        if (eventTypes.Count == 0 || eventTypes.Any(t => !HuntingNames.IsIdentifier(t)))
        {
            throw new ArgumentException("Event types must be one or more identifiers.", nameof(eventTypes));
        }

        EventTypeColumn = eventTypeColumn;
        EventTypes = [.. eventTypes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>The column holding the event type name.</summary>
    public string EventTypeColumn { get; }

    /// <summary>The event type names, sorted, without duplicates.</summary>
    public IReadOnlyList<string> EventTypes { get; }
}
