namespace Osprey.Detection.Sigma;

/// <summary>The operand does not hold.</summary>
internal sealed record SigmaConditionNot(SigmaConditionNode Operand) : SigmaConditionNode;
