namespace Osprey.Detection.Hunting;

/// <summary>A quoted string value, with its escapes already decoded.</summary>
public sealed record StringLiteral(string Value, int Position) : HuntingLiteral(Position);
