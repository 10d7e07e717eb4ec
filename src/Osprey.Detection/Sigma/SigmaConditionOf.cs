namespace Osprey.Detection.Sigma;

/// <summary>
/// <c>1 of x*</c>, <c>all of them</c>, …: at least <see cref="Count"/> (every one when <see cref="All"/>) of the
/// search identifiers <see cref="Names"/>, resolved from the pattern when the condition was parsed.
/// </summary>
internal sealed record SigmaConditionOf(int Count, bool All, IReadOnlyList<string> Names) : SigmaConditionNode;
