namespace Osprey.Detection.Sigma;

/// <summary>
/// What a Sigma log source is in Osprey's events: the record kinds its rules are evaluated against, explanations for
/// fields of the log source Osprey does not produce, and a note on what the mapping covers (quoted in reasons).
/// </summary>
internal sealed record SigmaLogSourceMapping(string Name, IReadOnlyList<SigmaRecordKind> Kinds, IReadOnlyDictionary<string, string> Unproduced, string? Note = null);
