namespace Osprey.Detection.Sigma;

/// <summary>A rule that matched an event: the rule, the record kind it matched as, and the search identifiers that held.</summary>
public sealed record SigmaMatch(CompiledSigmaRule Rule, string RecordKind, IReadOnlyList<string> Selections);
