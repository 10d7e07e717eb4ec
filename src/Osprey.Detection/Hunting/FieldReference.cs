namespace Osprey.Detection.Hunting;

/// <summary>A field name as written in the query (for example <c>Parent.CommandLine</c>) and where it starts.</summary>
public sealed record FieldReference(string Name, int Position);
