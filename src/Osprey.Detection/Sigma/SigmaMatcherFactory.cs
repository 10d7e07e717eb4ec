namespace Osprey.Detection.Sigma;

/// <summary>
/// Turns a planned item's values into one matcher: values linked by OR are grouped by kind (one set lookup for all
/// equalities, one multi-string search for all contains, …); <c>all</c> makes an AND of the groups; <c>neq</c> negates.
/// </summary>
internal static class SigmaMatcherFactory
{
    public static SigmaMatcher Create(SigmaItemPlan plan)
    {
        var matcher = plan.All && plan.Groups.Count > 1
            ? new AllOfMatcher([.. plan.Groups.Select(g => AnyOf(g, plan))])
            : AnyOf([.. plan.Groups.SelectMany(g => g)], plan);
        return plan.Negated ? new NotMatcher(matcher) : matcher;
    }

    private static SigmaMatcher AnyOf(IReadOnlyList<SigmaValue> values, SigmaItemPlan plan)
    {
        var equals = new List<string>();
        var prefixes = new List<string>();
        var suffixes = new List<string>();
        var needles = new List<string>();
        var networks = new List<string>();
        var others = new List<SigmaMatcher>();
        foreach (var value in values)
        {
            switch (value.Kind)
            {
                case SigmaValueKind.Pattern:
                    Classify(value.Pattern!, plan.Cased, equals, prefixes, suffixes, needles, others);
                    break;
                case SigmaValueKind.Regex:
                    others.Add(RegexMatcher.Create(value.Text, value.RegexOptions, plan.Item.Key, plan.Item.Line));
                    break;
                case SigmaValueKind.Cidr:
                    networks.Add(value.Text);
                    break;
                case SigmaValueKind.Number:
                    others.Add(new NumericMatcher(value.Comparison, value.Number));
                    break;
                case SigmaValueKind.Null:
                    others.Add(NullMatcher.Instance);
                    break;
                default:
                    throw SigmaRuleException.Invalid($"'{plan.Item.Key}': a {value.Kind} value cannot be matched here", plan.Item.Line);
            }
        }

        var matchers = new List<SigmaMatcher>();
        if (equals.Count > 0)
        {
            matchers.Add(new EqualsMatcher(equals, plan.Cased));
        }

        if (prefixes.Count > 0)
        {
            matchers.Add(new StartsWithMatcher(prefixes, plan.Cased));
        }

        if (suffixes.Count > 0)
        {
            matchers.Add(new EndsWithMatcher(suffixes, plan.Cased));
        }

        if (needles.Count > 0)
        {
            matchers.Add(new ContainsMatcher(needles, plan.Cased));
        }

        if (networks.Count > 0)
        {
            matchers.Add(CidrMatcher.Create(networks, plan.Item.Key, plan.Item.Line));
        }

        matchers.AddRange(others);
        return matchers.Count == 1 ? matchers[0] : new AnyOfMatcher(matchers);
    }

    private static void Classify(SigmaPattern pattern, bool cased, List<string> equals, List<string> prefixes, List<string> suffixes, List<string> needles, List<SigmaMatcher> others)
    {
        var parts = pattern.Parts;
        static bool Is(SigmaPatternPart part, SigmaPatternPartKind kind) => part.Kind == kind;
        if (pattern.IsPlain)
        {
            equals.Add(pattern.PlainText);
        }
        else if (parts.Count == 1 && Is(parts[0], SigmaPatternPartKind.AnyRun))
        {
            others.Add(AnyValueMatcher.Instance);
        }
        else if (parts.Count == 2 && Is(parts[0], SigmaPatternPartKind.AnyRun) && Is(parts[1], SigmaPatternPartKind.Literal))
        {
            suffixes.Add(parts[1].Text);
        }
        else if (parts.Count == 2 && Is(parts[0], SigmaPatternPartKind.Literal) && Is(parts[1], SigmaPatternPartKind.AnyRun))
        {
            prefixes.Add(parts[0].Text);
        }
        else if (parts.Count == 3 && Is(parts[0], SigmaPatternPartKind.AnyRun) && Is(parts[1], SigmaPatternPartKind.Literal) && Is(parts[2], SigmaPatternPartKind.AnyRun))
        {
            needles.Add(parts[1].Text);
        }
        else
        {
            others.Add(new GlobMatcher(pattern, cased));
        }
    }
}
