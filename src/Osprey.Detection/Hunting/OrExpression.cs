namespace Osprey.Detection.Hunting;

/// <summary>At least one operand holds (<c>a OR b</c>).</summary>
public sealed record OrExpression(HuntingExpression Left, HuntingExpression Right, int Position) : HuntingExpression(Position);
