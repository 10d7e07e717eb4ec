namespace Osprey.Detection.Sigma;

/// <summary>
/// One rule compiled for one record kind, inside an engine: <see cref="Id"/> numbers it within the engine (for the
/// per-event marks of the literal index); <see cref="InSeveralKinds"/> when the rule can match one event more than once.
/// </summary>
internal sealed record SigmaRuleEntry(int Id, CompiledSigmaRule Rule, SigmaCompiledView View, bool InSeveralKinds);
