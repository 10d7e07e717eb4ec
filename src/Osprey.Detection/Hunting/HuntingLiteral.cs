namespace Osprey.Detection.Hunting;

/// <summary>A value written in a query: a quoted string or an integer.</summary>
public abstract record HuntingLiteral(int Position);
