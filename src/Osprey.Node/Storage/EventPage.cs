namespace Osprey.Node.Storage;

/// <summary>The events a search returned, in the requested order.</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, bool Truncated);
