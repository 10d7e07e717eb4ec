namespace Osprey.Node.Storage;

/// <summary>A process with its ancestors (root first), its descendants and the events of each.</summary>
public sealed record ProcessTree(string UniquePid, IReadOnlyList<ProcessNode> Ancestors, ProcessNode? Process);

/// <summary>One process in a tree.</summary>
public sealed record ProcessNode(string UniquePid, string? ParentUniquePid, StoredEvent? Start, IReadOnlyList<StoredEvent> Events, IReadOnlyList<ProcessNode> Children);
