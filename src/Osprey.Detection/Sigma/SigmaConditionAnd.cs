namespace Osprey.Detection.Sigma;

/// <summary>Every operand holds.</summary>
internal sealed record SigmaConditionAnd(IReadOnlyList<SigmaConditionNode> Operands) : SigmaConditionNode;
