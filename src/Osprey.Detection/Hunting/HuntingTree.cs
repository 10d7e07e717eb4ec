namespace Osprey.Detection.Hunting;

/// <summary>Walks shared by the formatter and the compiler: flattening of AND/OR chains and a recursion bound for trees built in code.</summary>
internal static class HuntingTree
{
    /// <summary>
    /// Deepest recursion a walk allows. A parsed query recurses at most about twice its nesting limit
    /// (an OR inside an AND inside each parenthesis); trees built in code are held to the same bound so
    /// a hostile tree fails with an exception instead of overflowing the stack.
    /// </summary>
    public const int MaxWalkDepth = (HuntingQueryLimits.MaxDepth * 2) + 8;

    public static void CheckDepth(HuntingExpression expression, int depth)
    {
        if (depth > MaxWalkDepth)
        {
            throw new HuntingQueryException("query nests deeper than the limit of 64 levels", expression.Position);
        }
    }

    /// <summary>Counts one condition, failing past <see cref="HuntingQueryLimits.MaxTerms"/>.</summary>
    public static void CountTerm(HuntingExpression term, ref int terms)
    {
        if (++terms > HuntingQueryLimits.MaxTerms)
        {
            throw new HuntingQueryException("query has more conditions than the limit of 512", term.Position);
        }
    }

    /// <summary>The operands of a chain of the same operator (a AND b AND (c AND d) gives a, b, c, d), left to right, without recursion.</summary>
    public static List<HuntingExpression> Flatten(HuntingExpression chain)
    {
        var isOr = chain is OrExpression;
        var operands = new List<HuntingExpression>();
        var pending = new Stack<HuntingExpression>();
        pending.Push(chain);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            switch (node)
            {
                case OrExpression either when isOr:
                    pending.Push(either.Right);
                    pending.Push(either.Left);
                    break;
                case AndExpression both when !isOr:
                    pending.Push(both.Right);
                    pending.Push(both.Left);
                    break;
                default:
                    // Each operand holds at least one condition; stopping here bounds the work on a tree built in code.
                    if (operands.Count == HuntingQueryLimits.MaxTerms)
                    {
                        throw new HuntingQueryException("query has more conditions than the limit of 512", node.Position);
                    }

                    operands.Add(node);
                    break;
            }
        }

        return operands;
    }
}
