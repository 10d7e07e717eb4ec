namespace Osprey.Detection.Sigma;

/// <summary>
/// Finds the <see cref="SigmaRequirement"/>s of a predicate, alternatives of which every match has one: a field test
/// whose values have known last path segments (<c>Image|endswith: ['/curl', '/wget']</c>) or known literals
/// (<c>CommandLine|contains: ['base64 ', 'xxd']</c>); the cheapest operand's of an AND; all branches' of an OR (when
/// each has some). Tests a missing field satisfies never count; more than <see cref="MaxAlternatives"/> alternatives
/// cost more to index than to run the rule.
/// </summary>
internal static class SigmaPrefilter
{
    public const int MaxAlternatives = 3;

    public static IReadOnlyList<SigmaRequirement>? Find(SigmaPredicate predicate)
    {
        switch (predicate)
        {
            case FieldPredicate field when !field.Matcher.MatchesMissing:
                return Of(field.Field, field.Matcher);
            case KeywordPredicate { Fields.Count: 1 } keyword when !keyword.Matcher.MatchesMissing:
                return Of(keyword.Fields[0], keyword.Matcher);
            case AndPredicate and:
                return and.Operands.Select(Find).Where(r => r is not null).MinBy(Cost);
            case OrPredicate or:
                var branches = or.Operands.Select(Find).ToList();
                if (branches.Any(b => b is null))
                {
                    return null;
                }

                var merged = branches.SelectMany(b => b!).GroupBy(r => (r.Field, r.Kind))
                    .Select(g => new SigmaRequirement(g.Key.Field, g.Key.Kind, [.. g.SelectMany(r => r.Keys).Distinct(StringComparer.OrdinalIgnoreCase)]))
                    .ToList();
                return merged.Count <= MaxAlternatives ? merged : null;
            default:
                return null;
        }
    }

    private static (int, int) Cost(IReadOnlyList<SigmaRequirement>? requirements) => (requirements!.Sum(r => r.Cost), requirements!.Sum(r => r.Keys.Count));

    private static List<SigmaRequirement>? Of(SigmaField field, SigmaMatcher matcher)
    {
        if (matcher.PathKeys is { Count: > 0 } keys)
        {
            return [new SigmaRequirement(field, SigmaRequirementKind.LastSegment, keys)];
        }

        return matcher.Literals is { Count: > 0 } literals && literals.All(l => l.Length >= SigmaRequirement.MinimumSubstringLength)
            ? [new SigmaRequirement(field, SigmaRequirementKind.Substring, literals)]
            : null;
    }
}
