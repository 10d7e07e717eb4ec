namespace Osprey.Detection.Hunting;

/// <summary>Both operands hold (<c>a AND b</c>).</summary>
public sealed record AndExpression(HuntingExpression Left, HuntingExpression Right, int Position) : HuntingExpression(Position);
