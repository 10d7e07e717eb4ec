namespace Osprey.Detection.OpenIoc;

/// <summary>
/// What evaluating one top-level Indicator gave: whether it was detected, the ids of the Indicator and IndicatorItem
/// nodes that held (in document order), the objects bound to them (at most the bound asked for), and warnings
/// (terms not evaluated, regular expressions that ran out of time).
/// </summary>
public sealed record IocIndicatorOutcome
{
    public required IocIndicator Indicator { get; init; }
    public bool Detected { get; init; }
    public IReadOnlyList<string> MatchedBranch { get; init; } = [];
    public IReadOnlyList<IIocObject> Objects { get; init; } = [];

    /// <summary>More objects matched than <see cref="Objects"/> holds.</summary>
    public bool ObjectsTruncated { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
