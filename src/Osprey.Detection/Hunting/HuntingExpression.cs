namespace Osprey.Detection.Hunting;

/// <summary>A node of a parsed hunting query; <see cref="Position"/> is the 0-based offset where its text starts.</summary>
public abstract record HuntingExpression(int Position);
