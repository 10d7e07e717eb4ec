namespace Osprey.Detection.Sigma;

/// <summary>Builds predicates, folding operands the compiler already decided (a constant field, a field the record kind lacks).</summary>
internal static class SigmaPredicates
{
    public static SigmaPredicate And(IReadOnlyList<SigmaPredicate> operands)
    {
        var kept = new List<SigmaPredicate>(operands.Count);
        foreach (var operand in operands)
        {
            if (operand is ConstantPredicate constant)
            {
                if (!constant.Value)
                {
                    return constant;
                }

                continue;
            }

            if (operand is AndPredicate nested)
            {
                kept.AddRange(nested.Operands);
            }
            else
            {
                kept.Add(operand);
            }
        }

        return kept.Count switch
        {
            0 => operands.Count > 0 ? operands[0] : new ConstantPredicate(true, "nothing to test"),
            1 => kept[0],
            _ => new AndPredicate(kept),
        };
    }

    public static SigmaPredicate Or(IReadOnlyList<SigmaPredicate> operands)
    {
        var kept = new List<SigmaPredicate>(operands.Count);
        var reasons = new List<string>();
        foreach (var operand in operands)
        {
            if (operand is ConstantPredicate constant)
            {
                if (constant.Value)
                {
                    return constant;
                }

                if (!reasons.Contains(constant.Reason, StringComparer.Ordinal))
                {
                    reasons.Add(constant.Reason);
                }

                continue;
            }

            if (operand is OrPredicate nested)
            {
                kept.AddRange(nested.Operands);
            }
            else
            {
                kept.Add(operand);
            }
        }

        return kept.Count switch
        {
            0 => new ConstantPredicate(false, string.Join("; ", reasons)),
            1 => kept[0],
            _ => new OrPredicate(kept),
        };
    }

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
}
