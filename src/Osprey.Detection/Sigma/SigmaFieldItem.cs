namespace Osprey.Detection.Sigma;

/// <summary>
/// One <c>field|modifiers: values</c> entry of a search (or a keyword list, whose <see cref="Field"/> is null):
/// the values, in order, are linked by OR unless the <c>all</c> modifier links them by AND.
/// </summary>
internal sealed record SigmaFieldItem(string? Field, string Key, IReadOnlyList<SigmaModifier> Modifiers, IReadOnlyList<SigmaYamlNode> Values, int Line)
{
    public bool IsKeyword => Field is null;

    public bool Has(SigmaModifier modifier) => Modifiers.Contains(modifier);
}
