namespace Osprey.Detection.Sigma;

/// <summary>At least one operand holds.</summary>
internal sealed record SigmaConditionOr(IReadOnlyList<SigmaConditionNode> Operands) : SigmaConditionNode;
