namespace Osprey.Detection.Sigma;

/// <summary>A compiled condition over one record kind: evaluated against the context's event, pure and thread-safe.</summary>
internal abstract class SigmaPredicate
{
    public abstract bool Evaluate(SigmaEvaluationContext context);

    /// <summary>Relative cost, so AND and OR try cheap operands first.</summary>
    public abstract int Cost { get; }
}
