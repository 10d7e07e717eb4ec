using System.Text.RegularExpressions;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Reads one rule document: the metadata (title is required, level must be one of the five), the log source and the
/// detection section (search identifiers as maps, lists of maps or keyword lists, and the condition). Throws an
/// Invalid <see cref="SigmaRuleException"/> that says what is wrong and on which line.
/// </summary>
internal static partial class SigmaRuleReader
{
    public static SigmaRuleDocument Read(SigmaYamlNode document)
    {
        if (document.Kind != SigmaYamlNodeKind.Mapping)
        {
            throw SigmaRuleException.Invalid("a rule must be a YAML mapping (title, logsource, detection, …)", document.Line);
        }

        var title = Text(document, "title");
        if (string.IsNullOrWhiteSpace(title))
        {
            throw SigmaRuleException.Invalid("the rule has no title", document.Line);
        }

        var logSource = document.Get("logsource") ?? throw SigmaRuleException.Invalid("the rule has no logsource", document.Line);
        var detection = document.Get("detection") ?? throw SigmaRuleException.Invalid("the rule has no detection section", document.Line);
        var tags = List(document, "tags");
        var rule = new SigmaRule
        {
            Id = Text(document, "id"),
            Name = Text(document, "name"),
            Title = title,
            Status = Text(document, "status"),
            Level = Level(document),
            Description = Text(document, "description"),
            Author = Text(document, "author") ?? JoinedList(document, "author"),
            Date = Text(document, "date"),
            Modified = Text(document, "modified"),
            References = List(document, "references"),
            FalsePositives = List(document, "falsepositives"),
            Tags = tags,
            AttackTechniques = [.. tags.Where(t => TechniqueTag().IsMatch(t)).Select(t => t["attack.".Length..].ToUpperInvariant()).Distinct(StringComparer.Ordinal)],
            AttackTactics = [.. tags.Where(t => t.StartsWith("attack.", StringComparison.OrdinalIgnoreCase) && !AttackObjectTag().IsMatch(t)).Select(t => t["attack.".Length..].ToLowerInvariant()).Distinct(StringComparer.Ordinal)],
            LogSource = ReadLogSource(logSource),
        };

        var warnings = new List<string>();
        return new SigmaRuleDocument(rule, ReadDetection(detection, warnings), warnings);
    }

    private static SigmaLogSource ReadLogSource(SigmaYamlNode node)
    {
        if (node.Kind != SigmaYamlNodeKind.Mapping)
        {
            throw SigmaRuleException.Invalid("logsource must be a mapping (category, product, service)", node.Line);
        }

        return new SigmaLogSource(Text(node, "category"), Text(node, "product"), Text(node, "service")) { Definition = Text(node, "definition") };
    }

    private static SigmaDetection ReadDetection(SigmaYamlNode node, List<string> warnings)
    {
        if (node.Kind != SigmaYamlNodeKind.Mapping)
        {
            throw SigmaRuleException.Invalid("detection must be a mapping of search identifiers and a condition", node.Line);
        }

        var searches = new List<SigmaSearch>();
        var conditions = new List<(string, int)>();
        var budget = new Budget();
        foreach (var (key, value) in node.Entries)
        {
            switch (key)
            {
                case "condition":
                    conditions.AddRange(Conditions(value));
                    break;
                case "timeframe":
                    warnings.Add("timeframe is ignored: it only applies to aggregations, which the engine does not evaluate");
                    break;
                default:
                    if (key.Length == 0)
                    {
                        throw SigmaRuleException.Invalid("a search identifier has an empty name", value.Line);
                    }

                    searches.Add(ReadSearch(key, value, budget));
                    break;
            }
        }

        if (conditions.Count == 0)
        {
            throw SigmaRuleException.Invalid("the detection section has no condition", node.Line);
        }

        if (searches.Count == 0)
        {
            throw SigmaRuleException.Invalid("the detection section has no search identifiers", node.Line);
        }

        return new SigmaDetection(searches, conditions);
    }

    private static IEnumerable<(string, int)> Conditions(SigmaYamlNode node)
    {
        if (node.Kind == SigmaYamlNodeKind.Scalar && !node.IsNull)
        {
            return [(node.Value!, node.Line)];
        }

        if (node.Kind == SigmaYamlNodeKind.Sequence && node.Items.Count > 0 && node.Items.All(i => i.Kind == SigmaYamlNodeKind.Scalar && !i.IsNull))
        {
            return node.Items.Select(i => (i.Value!, i.Line));
        }

        throw SigmaRuleException.Invalid("condition must be a text or a list of texts", node.Line);
    }

    private static SigmaSearch ReadSearch(string name, SigmaYamlNode node, Budget budget)
    {
        switch (node.Kind)
        {
            case SigmaYamlNodeKind.Mapping:
                return new SigmaSearch(name, [ReadMap(name, node, budget)], node.Line);
            case SigmaYamlNodeKind.Sequence when node.Items.Count == 0:
                throw SigmaRuleException.Invalid($"search identifier '{name}' is an empty list", node.Line);
            case SigmaYamlNodeKind.Sequence when node.Items.All(i => i.Kind == SigmaYamlNodeKind.Scalar):
                budget.Spend(node.Items.Count, node.Line);
                return new SigmaSearch(name, [[new SigmaFieldItem(null, name, [], [.. node.Items], node.Line)]], node.Line);
            case SigmaYamlNodeKind.Sequence:
                var branches = new List<IReadOnlyList<SigmaFieldItem>>();
                foreach (var item in node.Items)
                {
                    budget.Spend(1, item.Line);
                    branches.Add(item.Kind switch
                    {
                        SigmaYamlNodeKind.Mapping => ReadMap(name, item, budget),
                        SigmaYamlNodeKind.Scalar => [new SigmaFieldItem(null, name, [], [item], item.Line)],
                        _ => throw SigmaRuleException.Invalid($"search identifier '{name}': a list item must be a map or a value, not a list", item.Line),
                    });
                }

                return new SigmaSearch(name, branches, node.Line);
            default:
                if (node.IsNull)
                {
                    throw SigmaRuleException.Invalid($"search identifier '{name}' is empty", node.Line);
                }

                budget.Spend(1, node.Line);
                return new SigmaSearch(name, [[new SigmaFieldItem(null, name, [], [node], node.Line)]], node.Line);
        }
    }

    private static List<SigmaFieldItem> ReadMap(string name, SigmaYamlNode node, Budget budget)
    {
        if (node.Entries.Count == 0)
        {
            throw SigmaRuleException.Invalid($"search identifier '{name}' has an empty map", node.Line);
        }

        var items = new List<SigmaFieldItem>(node.Entries.Count);
        foreach (var (key, value) in node.Entries)
        {
            var (field, modifiers) = SigmaModifiers.Split(key, value.Line);
            IReadOnlyList<SigmaYamlNode> values = value.Kind switch
            {
                SigmaYamlNodeKind.Scalar => [value],
                SigmaYamlNodeKind.Sequence when value.Items.Count == 0 => throw SigmaRuleException.Invalid($"'{key}' has an empty list of values", value.Line),
                SigmaYamlNodeKind.Sequence when value.Items.All(i => i.Kind == SigmaYamlNodeKind.Scalar) => value.Items,
                SigmaYamlNodeKind.Sequence => throw SigmaRuleException.Invalid($"'{key}': values must be plain values, not lists or maps", value.Line),
                _ => throw SigmaRuleException.Invalid($"'{key}': a value cannot be a map", value.Line),
            };
            budget.Spend(values.Count, value.Line);
            items.Add(new SigmaFieldItem(field, key, modifiers, values, value.Line));
        }

        return items;
    }

    private static string? Text(SigmaYamlNode node, string key)
    {
        var value = node.Get(key);
        if (value is null || value.IsNull)
        {
            return null;
        }

        return value.Kind == SigmaYamlNodeKind.Scalar ? value.Value : null;
    }

    private static List<string> List(SigmaYamlNode node, string key)
    {
        var value = node.Get(key);
        if (value is null || value.IsNull)
        {
            return [];
        }

        return value.Kind switch
        {
            SigmaYamlNodeKind.Scalar => [value.Value!],
            SigmaYamlNodeKind.Sequence => [.. value.Items.Where(i => i.Kind == SigmaYamlNodeKind.Scalar && !i.IsNull).Select(i => i.Value!)],
            _ => throw SigmaRuleException.Invalid($"{key} must be a list of texts", value.Line),
        };
    }

    private static string? JoinedList(SigmaYamlNode node, string key)
    {
        var value = node.Get(key);
        return value is { Kind: SigmaYamlNodeKind.Sequence } ? string.Join(", ", List(node, key)) : null;
    }

    private static SigmaLevel Level(SigmaYamlNode node)
    {
        var text = Text(node, "level");
        return text?.ToLowerInvariant() switch
        {
            null => SigmaLevel.None,
            "informational" => SigmaLevel.Informational,
            "low" => SigmaLevel.Low,
            "medium" => SigmaLevel.Medium,
            "high" => SigmaLevel.High,
            "critical" => SigmaLevel.Critical,
            _ => throw SigmaRuleException.Invalid($"level '{text}' is not one of informational, low, medium, high, critical", node.Get("level")!.Line),
        };
    }

    [GeneratedRegex(@"^attack\.t\d{4}(\.\d{3})?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TechniqueTag();

    [GeneratedRegex(@"^attack\.[tgs]\d{4}(\.\d{3})?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AttackObjectTag();

    /// <summary>Counts values as they are read, aliases included, so a small file cannot stand for millions of them.</summary>
    private sealed class Budget
    {
        private int _spent;

        public void Spend(int count, int line)
        {
            _spent += count;
            if (_spent > SigmaLimits.MaxValues)
            {
                throw SigmaRuleException.Invalid($"the detection has more than {SigmaLimits.MaxValues} values", line);
            }
        }
    }
}
