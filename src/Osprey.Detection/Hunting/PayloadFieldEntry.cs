namespace Osprey.Detection.Hunting;

/// <summary>One field path found in the payload descriptors: comparable with a type, or not comparable with the reason why.</summary>
internal sealed class PayloadFieldEntry
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Path { get; init; }

    /// <summary>Null when the field cannot be compared; <see cref="Problem"/> then says why.</summary>
    public HuntingFieldType? Type { get; set; }

    public bool IsList { get; init; }

    /// <summary>True for fields with explicit presence (proto3 optional, wrappers), whose absence is not the default value.</summary>
    public bool HasPresence { get; init; }

    public string? Problem { get; set; }

    public SortedSet<string> EventTypes { get; } = new(StringComparer.Ordinal);
}
