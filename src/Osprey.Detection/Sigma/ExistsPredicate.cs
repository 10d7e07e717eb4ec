namespace Osprey.Detection.Sigma;

/// <summary><c>field|exists: true/false</c>: whether the event has a value for the field.</summary>
internal sealed class ExistsPredicate(SigmaField subject, bool exists) : SigmaPredicate
{
    public override int Cost => 1;

    public override bool Evaluate(SigmaEvaluationContext context) => context.Read(subject).IsPresent == exists;
}
