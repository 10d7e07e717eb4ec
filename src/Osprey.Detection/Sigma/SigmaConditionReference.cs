namespace Osprey.Detection.Sigma;

/// <summary>One search identifier by name.</summary>
internal sealed record SigmaConditionReference(string Name) : SigmaConditionNode;
