namespace Osprey.Detection.Sigma;

/// <summary>A node of a parsed condition: and, or, not, a search identifier, or <c>N/all of pattern|them</c>.</summary>
internal abstract record SigmaConditionNode;
