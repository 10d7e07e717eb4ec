using System.Globalization;
using System.Text.RegularExpressions;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Applies a detection item's modifiers to its values, in the order written, as the specification defines them;
/// rejects combinations that make no sense (a wildcard under base64, contains before re, a non-numeric gt, …).
/// </summary>
internal static class SigmaItemPlanner
{
    private static readonly SigmaModifier[] TimeModifiers =
        [SigmaModifier.Minute, SigmaModifier.Hour, SigmaModifier.Day, SigmaModifier.Week, SigmaModifier.Month, SigmaModifier.Year];

    public static SigmaItemPlan Plan(SigmaFieldItem item, SigmaCompilerOptions options)
    {
        var line = item.Line;
        foreach (var modifier in item.Modifiers)
        {
            if (TimeModifiers.Contains(modifier))
            {
                throw SigmaRuleException.Unsupported($"time modifier '{SigmaModifiers.NameOf(modifier)}' in '{item.Key}' is not supported", line);
            }
        }

        if (item.Has(SigmaModifier.Exists))
        {
            return PlanExists(item);
        }

        if (item.Values.Count == 1 && item.Values[0].IsNull)
        {
            if (item.Modifiers.Count > 0)
            {
                throw SigmaRuleException.Invalid($"'{item.Key}': null cannot take modifiers", line);
            }

            if (item.IsKeyword)
            {
                throw SigmaRuleException.Invalid("a keyword cannot be null", line);
            }

            return new SigmaItemPlan(item, [[new SigmaValue(SigmaValueKind.Null)]]);
        }

        var groups = new List<List<SigmaValue>>(item.Values.Count);
        foreach (var node in item.Values)
        {
            if (node.IsNull)
            {
                throw SigmaRuleException.Invalid($"'{item.Key}': null cannot be one of several values; put it in a selection of its own", node.Line);
            }

            if (node.Value!.Length > SigmaLimits.MaxValueLength)
            {
                throw SigmaRuleException.Invalid($"'{item.Key}': a value is longer than {SigmaLimits.MaxValueLength} characters", node.Line);
            }

            groups.Add([SigmaValue.Of(SigmaPattern.Parse(ValueText(node)))]);
        }

        var plan = new SigmaItemPlan(item, groups);
        var seen = new List<SigmaModifier>();
        foreach (var modifier in item.Modifiers)
        {
            plan = Apply(plan, groups, modifier, seen, options);
            seen.Add(modifier);
        }

        var total = groups.Sum(g => g.Count);
        if (total > SigmaLimits.MaxValues)
        {
            throw SigmaRuleException.Invalid($"'{item.Key}' expands to more than {SigmaLimits.MaxValues} values", line);
        }

        foreach (var value in groups.SelectMany(g => g))
        {
            if (value.Kind == SigmaValueKind.Bytes)
            {
                throw SigmaRuleException.Unsupported($"'{item.Key}': a utf16 encoding without base64 or base64offset matches bytes, and Osprey's fields are text", line);
            }
        }

        return plan with { Groups = groups };
    }

    /// <summary>The text a scalar stands for, as written: numbers compare as their text (<c>4444</c> equals the port 4444).</summary>
    public static string ValueText(SigmaYamlNode node) => node.Value!;

    private static SigmaItemPlan PlanExists(SigmaFieldItem item)
    {
        if (item.Modifiers.Count != 1)
        {
            throw SigmaRuleException.Invalid($"'{item.Key}': exists takes no other modifier", item.Line);
        }

        if (item.IsKeyword)
        {
            throw SigmaRuleException.Invalid("exists needs a field name", item.Line);
        }

        if (item.Values.Count != 1 || !item.Values[0].IsPlain || item.Values[0].Value is not ("true" or "false" or "True" or "False" or "yes" or "no"))
        {
            throw SigmaRuleException.Invalid($"'{item.Key}': exists takes true or false", item.Line);
        }

        return new SigmaItemPlan(item, []) { Exists = item.Values[0].Value is "true" or "True" or "yes" };
    }

    private static SigmaItemPlan Apply(SigmaItemPlan plan, List<List<SigmaValue>> groups, SigmaModifier modifier, List<SigmaModifier> seen, SigmaCompilerOptions options)
    {
        var item = plan.Item;
        var line = item.Line;
        var name = SigmaModifiers.NameOf(modifier);
        switch (modifier)
        {
            case SigmaModifier.All:
                return plan with { All = true };
            case SigmaModifier.Cased:
                Each(groups, v => RequirePattern(v, item, name));
                return plan with { Cased = true };
            case SigmaModifier.Neq:
                return plan with { Negated = true };
            case SigmaModifier.Contains or SigmaModifier.StartsWith or SigmaModifier.EndsWith:
                if (groups.Any(g => g.Any(v => v.Kind == SigmaValueKind.FieldRef)))
                {
                    return plan with { FieldRefMode = modifier };
                }

                Map(groups, v =>
                {
                    var pattern = RequirePattern(v, item, name);
                    return [SigmaValue.Of(modifier switch
                    {
                        SigmaModifier.Contains => pattern.WithLeadingAnyRun().WithTrailingAnyRun(),
                        SigmaModifier.StartsWith => pattern.WithTrailingAnyRun(),
                        _ => pattern.WithLeadingAnyRun(),
                    })];
                });
                return plan;
            case SigmaModifier.Windash:
                Map(groups, v => [SigmaValue.Of(RequirePattern(v, item, name).WithWindash())]);
                return plan;
            case SigmaModifier.Utf16Le or SigmaModifier.Wide or SigmaModifier.Utf16Be or SigmaModifier.Utf16:
                Map(groups, v =>
                {
                    var texts = RequirePattern(v, item, name).Expand(name, line);
                    return [.. texts.Select(t => new SigmaValue(SigmaValueKind.Bytes)
                    {
                        Bytes = modifier switch
                        {
                            SigmaModifier.Utf16Be => SigmaEncodings.Utf16BigEndian(t),
                            SigmaModifier.Utf16 => SigmaEncodings.Utf16WithByteOrderMark(t),
                            _ => SigmaEncodings.Utf16LittleEndian(t),
                        },
                    })];
                });
                return plan;
            case SigmaModifier.Base64 or SigmaModifier.Base64Offset:
                Map(groups, v =>
                {
                    var inputs = v.Kind == SigmaValueKind.Bytes
                        ? [v.Bytes!]
                        : RequirePattern(v, item, name).Expand(name, line).Select(t => System.Text.Encoding.UTF8.GetBytes(t)).ToList();
                    return modifier == SigmaModifier.Base64
                        ? [.. inputs.Select(b => SigmaValue.Of(SigmaPattern.Literal(SigmaEncodings.Base64(b))))]
                        : [.. inputs.SelectMany(SigmaEncodings.Base64Offsets).Distinct(StringComparer.Ordinal).Select(t => SigmaValue.Of(SigmaPattern.Literal(t)))];
                });
                return plan;
            case SigmaModifier.Re:
                if (seen.Count > 0 && seen.Any(m => m is not SigmaModifier.All and not SigmaModifier.Neq))
                {
                    throw SigmaRuleException.Invalid($"'{item.Key}': re must come before other modifiers (only all and neq may precede it)", line);
                }

                Map(groups, v => [new SigmaValue(SigmaValueKind.Regex) { Text = RequirePattern(v, item, name).Original, RegexOptions = RegexOptions.None }]);
                return plan;
            case SigmaModifier.ReIgnoreCase or SigmaModifier.ReMultiline or SigmaModifier.ReDotAll:
                var flag = modifier switch
                {
                    SigmaModifier.ReIgnoreCase => RegexOptions.IgnoreCase,
                    SigmaModifier.ReMultiline => RegexOptions.Multiline,
                    _ => RegexOptions.Singleline,
                };
                Map(groups, v => v.Kind == SigmaValueKind.Regex
                    ? [v with { RegexOptions = v.RegexOptions | flag }]
                    : throw SigmaRuleException.Invalid($"'{item.Key}': the '{name}' modifier only follows re", line));
                return plan;
            case SigmaModifier.Cidr:
                Map(groups, v => [new SigmaValue(SigmaValueKind.Cidr) { Text = RequirePattern(v, item, name).Original }]);
                return plan;
            case SigmaModifier.Gt or SigmaModifier.Gte or SigmaModifier.Lt or SigmaModifier.Lte:
                Map(groups, v =>
                {
                    var text = RequirePattern(v, item, name).Original;
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
                    {
                        throw SigmaRuleException.Invalid($"'{item.Key}': '{text}' is not a number", line);
                    }

                    return [new SigmaValue(SigmaValueKind.Number) { Text = text, Number = number, Comparison = modifier }];
                });
                return plan;
            case SigmaModifier.FieldRef:
                if (item.IsKeyword)
                {
                    throw SigmaRuleException.Invalid("fieldref needs a field name", line);
                }

                if (seen.Any(m => m is SigmaModifier.Contains or SigmaModifier.StartsWith or SigmaModifier.EndsWith))
                {
                    throw SigmaRuleException.Invalid($"'{item.Key}': put contains, startswith or endswith after fieldref", line);
                }

                Map(groups, v =>
                {
                    var pattern = RequirePattern(v, item, name);
                    if (!pattern.IsPlain || pattern.PlainText.Length == 0)
                    {
                        throw SigmaRuleException.Invalid($"'{item.Key}': fieldref takes a field name, not '{pattern.Original}'", line);
                    }

                    return [new SigmaValue(SigmaValueKind.FieldRef) { Text = pattern.PlainText }];
                });
                return plan;
            case SigmaModifier.Expand:
                Map(groups, v => [.. RequirePattern(v, item, name).ExpandPlaceholders(options.Placeholders, line).Select(SigmaValue.Of)]);
                return plan;
            case SigmaModifier.Exists:
                throw SigmaRuleException.Invalid($"'{item.Key}': exists takes no other modifier", line);
            default:
                throw SigmaRuleException.Unsupported($"'{item.Key}': the '{name}' modifier is not supported", line);
        }
    }

    private static SigmaPattern RequirePattern(SigmaValue value, SigmaFieldItem item, string modifier) => value.Kind switch
    {
        SigmaValueKind.Pattern => value.Pattern!,
        SigmaValueKind.Bytes => throw SigmaRuleException.Unsupported(
            $"'{item.Key}': a utf16 encoding without base64 or base64offset matches bytes, and Osprey's fields are text ({modifier} cannot follow it)", item.Line),
        _ => throw SigmaRuleException.Invalid($"'{item.Key}': {modifier} cannot apply to a {Describe(value.Kind)}", item.Line),
    };

    private static string Describe(SigmaValueKind kind) => kind switch
    {
        SigmaValueKind.Regex => "regular expression",
        SigmaValueKind.Cidr => "CIDR network",
        SigmaValueKind.Number => "numeric comparison",
        SigmaValueKind.FieldRef => "field reference",
        _ => "null",
    };

    private static void Each(List<List<SigmaValue>> groups, Action<SigmaValue> check)
    {
        foreach (var value in groups.SelectMany(g => g))
        {
            check(value);
        }
    }

    private static void Map(List<List<SigmaValue>> groups, Func<SigmaValue, List<SigmaValue>> transform)
    {
        var total = 0;
        for (var i = 0; i < groups.Count; i++)
        {
            var mapped = new List<SigmaValue>();
            foreach (var value in groups[i])
            {
                mapped.AddRange(transform(value));
            }

            groups[i] = mapped;
            total += mapped.Count;
            if (total > SigmaLimits.MaxValues)
            {
                throw SigmaRuleException.Invalid($"an item expands to more than {SigmaLimits.MaxValues} values");
            }
        }
    }
}
