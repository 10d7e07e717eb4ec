namespace Osprey.Detection.Sigma;

/// <summary>
/// A condition decided when the rule was compiled, with why (for unsupported-rule reasons and warnings).
/// <see cref="ByKind"/> when the record kind's shape decided it — a constant field (auditd <c>type</c>) or a field the
/// kind lacks: the rule asks for other records, which says less than a value no record of the kind can have.
/// </summary>
internal sealed class ConstantPredicate(bool value, string reason, bool byKind = false) : SigmaPredicate
{
    public bool Value => value;

    public string Reason => reason;

    public bool ByKind => byKind;

    public override int Cost => 0;

    public override bool Evaluate(SigmaEvaluationContext context) => value;
}
