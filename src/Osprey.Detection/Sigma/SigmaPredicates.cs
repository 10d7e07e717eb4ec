namespace Osprey.Detection.Sigma;

/// <summary>Builds predicates, folding operands the compiler already decided (a constant field, a field the record kind lacks).</summary>
internal static class SigmaPredicates
{
    public static SigmaPredicate And(IReadOnlyList<SigmaPredicate> operands) => Combine(operands, and: true);

    public static SigmaPredicate Or(IReadOnlyList<SigmaPredicate> operands) => Combine(operands, and: false);

    public static SigmaPredicate Not(SigmaPredicate operand) => operand switch
    {
        ConstantPredicate constant => new ConstantPredicate(!constant.Value, constant.Reason, constant.ByKind),
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
        var reasons = new List<ConstantPredicate>();
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
                    reasons.Add(constant);
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
            return Joined(false, reasons);
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
        var reasons = new List<ConstantPredicate>();
        ConstantPredicate? decided = null;
        foreach (var operand in operands)
        {
            switch (operand)
            {
                // Of several deciding operands, the one a value decided says more than a record-type mismatch.
                case ConstantPredicate constant when constant.Value != and:
                    if (!constant.ByKind)
                    {
                        return constant;
                    }

                    decided ??= constant;
                    break;
                case ConstantPredicate constant:
                    reasons.Add(constant);
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

        if (decided is not null)
        {
            return decided;
        }

        return kept.Count switch
        {
            0 => reasons.Count > 0 ? Joined(and, reasons) : new ConstantPredicate(and, "nothing to test"),
            1 => kept[0],
            _ => and ? new AndPredicate(kept) : new OrPredicate(kept),
        };
    }

    /// <summary>One constant for several: their distinct reasons, the informative ones only when there are some.</summary>
    private static ConstantPredicate Joined(bool value, List<ConstantPredicate> constants)
    {
        var byKind = constants.All(c => c.ByKind);
        var reasons = constants.Where(c => byKind || !c.ByKind).Select(c => c.Reason).Distinct(StringComparer.Ordinal);
        return new ConstantPredicate(value, string.Join("; ", reasons), byKind);
    }
}
