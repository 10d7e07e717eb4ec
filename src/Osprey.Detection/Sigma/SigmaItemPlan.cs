namespace Osprey.Detection.Sigma;

/// <summary>
/// A detection item after its modifiers: the original values become groups of alternatives (a value that
/// base64offset or expand turned into several stays one group); groups are linked by AND with <c>all</c>, by OR
/// otherwise. <see cref="Exists"/> is set for the exists modifier, which has no values to match.
/// </summary>
internal sealed record SigmaItemPlan(SigmaFieldItem Item, IReadOnlyList<IReadOnlyList<SigmaValue>> Groups)
{
    public bool All { get; init; }

    public bool Cased { get; init; }

    /// <summary>neq: the field differs from every value.</summary>
    public bool Negated { get; init; }

    public bool? Exists { get; init; }

    /// <summary>contains, startswith or endswith combined with fieldref.</summary>
    public SigmaModifier? FieldRefMode { get; init; }

    public int ValueCount => Groups.Sum(g => g.Count);
}
