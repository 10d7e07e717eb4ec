namespace Osprey.Detection.Sigma;

/// <summary>
/// Finds a field test every match of a predicate needs whose values have known last path segments (see
/// <see cref="SigmaPathKeys"/>): <c>Image|endswith: ['/curl', '/wget']</c> in an AND, or one such test on the same field
/// in every branch of an OR. The engine then runs the rule only for events whose field ends in one of those segments.
/// </summary>
internal static class SigmaPrefilter
{
    public static (SigmaField Field, IReadOnlyCollection<string> Keys)? Find(SigmaPredicate predicate)
    {
        switch (predicate)
        {
            case FieldPredicate field when !field.Matcher.MatchesMissing && field.Matcher.PathKeys is { } keys:
                return (field.Field, keys);
            case AndPredicate and:
                (SigmaField, IReadOnlyCollection<string>)? best = null;
                foreach (var operand in and.Operands)
                {
                    if (Find(operand) is { } found && (best is null || found.Keys.Count < best.Value.Item2.Count))
                    {
                        best = found;
                    }
                }

                return best;
            case OrPredicate or:
                SigmaField? common = null;
                var union = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var operand in or.Operands)
                {
                    if (Find(operand) is not { } found || (common is not null && common != found.Field))
                    {
                        return null;
                    }

                    common = found.Field;
                    union.UnionWith(found.Keys);
                }

                return common is null ? null : (common, union);
            default:
                return null;
        }
    }
}
