namespace Osprey.Detection.Sigma;

/// <summary>A rule compiled for one record kind: its condition and each search identifier (to name the ones that matched).</summary>
internal sealed record SigmaCompiledView(SigmaRecordKind Kind, SigmaPredicate Predicate, IReadOnlyList<KeyValuePair<string, SigmaPredicate>> Searches);
