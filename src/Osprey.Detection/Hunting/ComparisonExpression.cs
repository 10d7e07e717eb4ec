namespace Osprey.Detection.Hunting;

/// <summary>A field compared with one value (<c>CommandLine CONTAINS "curl"</c>); it starts at the field name.</summary>
public sealed record ComparisonExpression(FieldReference Field, ComparisonOperator Operator, int OperatorPosition, HuntingLiteral Value)
    : HuntingExpression(Field.Position);
