using System.Collections.Immutable;

namespace Osprey.Detection.Hunting;

/// <summary>A field tested against a list of values (<c>RemotePort IN (80, 443)</c>, or <c>NOT IN</c> when <see cref="Negated"/>).</summary>
public sealed record InExpression(FieldReference Field, bool Negated, int OperatorPosition, ImmutableArray<HuntingLiteral> Values)
    : HuntingExpression(Field.Position)
{
    /// <summary>Compares the lists element by element, so equal queries give equal trees.</summary>
    public bool Equals(InExpression? other) =>
        other is not null
        && base.Equals(other)
        && Field == other.Field
        && Negated == other.Negated
        && OperatorPosition == other.OperatorPosition
        && Values.AsSpan().SequenceEqual(other.Values.AsSpan());

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Field, Negated, OperatorPosition, Values.IsDefault ? 0 : Values.Length);
}
