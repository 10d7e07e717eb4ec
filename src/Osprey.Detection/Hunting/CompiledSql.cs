namespace Osprey.Detection.Hunting;

/// <summary>A compiled hunting query: a WHERE condition (without the keyword) and the values of its parameters <c>@p0</c>, <c>@p1</c>, ….</summary>
public sealed record CompiledSql(string Where, IReadOnlyList<KeyValuePair<string, object>> Parameters);
