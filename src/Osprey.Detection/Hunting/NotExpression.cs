namespace Osprey.Detection.Hunting;

/// <summary>The operand does not hold (<c>NOT a</c>); <see cref="HuntingExpression.Position"/> is that of the NOT keyword.</summary>
public sealed record NotExpression(HuntingExpression Operand, int Position) : HuntingExpression(Position);
