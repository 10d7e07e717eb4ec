namespace Osprey.Detection.Hunting;

/// <summary>A 64-bit integer value.</summary>
public sealed record IntegerLiteral(long Value, int Position) : HuntingLiteral(Position);
