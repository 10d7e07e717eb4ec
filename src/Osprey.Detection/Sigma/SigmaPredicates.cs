namespace Osprey.Detection.Sigma;

/// <summary>Builds predicates, folding operands the compiler already decided (a constant field, a field the record kind lacks).</summary>
internal static class SigmaPredicates
{
    public static SigmaPredicate And(IReadOnlyList<SigmaPredicate> operands) => Combine(operands, and: true);

    public static SigmaPredicate Or(IReadOnlyList<SigmaPredicate> operands) => Combine(operands, and: false);

    public static SigmaPredicate Not(SigmaPredicate operand) => operand switch
    {
        ConstantPredicate constant => new ConstantPredicate(!constant.Value, constant.Reason),
        NotPredicate not => not.Operand,
        _ => new NotPredicate(operand),
    };

    public static SigmaPredicate AtLeast(int count, IReadOnlyList<SigmaPredicate> operands)
    {
        if (count <= 1)
        {
            return Or(operands);
        }

        if (count >= operands.Count)
        {
            return And(operands);
        }

        var kept = new List<SigmaPredicate>();
        var alreadyTrue = 0;
        var reasons = new List<string>();
        foreach (var operand in operands)
        {
            if (operand is ConstantPredicate constant)
            {
                if (constant.Value)
                {
                    alreadyTrue++;
                }
                else
                {
                    reasons.Add(constant.Reason);
                }
            }
            else
            {
                kept.Add(operand);
            }
        }

        var needed = count - alreadyTrue;
        if (needed <= 0)
        {
            return new ConstantPredicate(true, "enough operands always hold");
        }

        if (needed > kept.Count)
        {
            return new ConstantPredicate(false, string.Join("; ", reasons));
        }

        return needed == 1 ? Or(kept) : needed == kept.Count ? And(kept) : new AtLeastPredicate(needed, kept);
    }

    /// <summary>
    /// AND or OR of <paramref name="operands"/>: a constant that decides it (false for AND, true for OR) is the result,
    /// the other constants drop out, nested operands of the same kind are flattened. When every operand drops out the
    /// result is the neutral constant, with their reasons.
    /// </summary>
    private static SigmaPredicate Combine(IReadOnlyList<SigmaPredicate> operands, bool and)
    {
        var kept = new List<SigmaPredicate>(operands.Count);
        var reasons = new List<string>();
        foreach (var operand in operands)
        {
            switch (operand)
            {
                case ConstantPredicate constant when constant.Value != and:
                    return constant;
                case ConstantPredicate constant:
                    if (!reasons.Contains(constant.Reason, StringComparer.Ordinal))
                    {
                        reasons.Add(constant.Reason);
                    }

                    break;
                case AndPredicate nested when and:
                    kept.AddRange(nested.Operands);
                    break;
                case OrPredicate nested when !and:
                    kept.AddRange(nested.Operands);
                    break;
                default:
                    kept.Add(operand);
                    break;
            }
        }

        return kept.Count switch
        {
            0 => new ConstantPredicate(and, reasons.Count > 0 ? string.Join("; ", reasons) : "nothing to test"),
            1 => kept[0],
            _ => and ? new AndPredicate(kept) : new OrPredicate(kept),
        };
    }
}
