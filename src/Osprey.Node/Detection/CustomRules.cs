using System.Text.RegularExpressions;
using Osprey.Detection.Hunting;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// Custom detection rules: a saved hunting query with the metadata of a rule. The query is checked exactly as hunting
/// checks it, and stored in canonical form; it runs on the live stream through <see cref="HuntingMatcher"/>.
/// </summary>
public static partial class CustomRules
{
    public const string Kind = "custom";
    public const int MaxTitleLength = 256;
    public const int MaxTags = 32;

    public static readonly string[] Importances = ["low", "medium", "high", "critical"];
    public static readonly string[] Confidences = ["low", "medium", "high"];

    /// <summary>What an operator gives for a custom rule; null fields take their defaults.</summary>
    public sealed record Definition(
        string? Title, string? Query, string? Importance, string? Confidence, IReadOnlyList<string>? Techniques, IReadOnlyList<string>? Tactics, string? Scope);

    /// <summary>
    /// Checks a definition whole and builds the rule, or says every problem: the rule is stored only when nothing is wrong.
    /// <paramref name="existing"/> is the rule being changed: its ID and creation are kept, and what the definition leaves
    /// out (null) keeps its value.
    /// </summary>
    public static (StoredRule? Rule, IReadOnlyList<string> Problems) Build(Definition definition, StoredRule? existing, string by, long nowUs)
    {
        var problems = new List<string>();
        var title = (definition.Title ?? existing?.Title)?.Trim() ?? "";
        if (title.Length is 0 or > MaxTitleLength || title.Any(char.IsControl))
        {
            problems.Add($"title: 1 to {MaxTitleLength} characters without control characters");
        }
        string? query = null;
        try
        {
            query = HuntingMatcher.Compile(definition.Query ?? existing?.Content ?? "").Query;
        }
        catch (HuntingQueryException e)
        {
            problems.Add("query: " + e.Message);
        }
        var importance = definition.Importance ?? existing?.Importance ?? "medium";
        if (!Importances.Contains(importance, StringComparer.Ordinal))
        {
            problems.Add($"importance: one of {string.Join(", ", Importances)}");
        }
        var confidence = definition.Confidence ?? existing?.Confidence ?? "medium";
        if (!Confidences.Contains(confidence, StringComparer.Ordinal))
        {
            problems.Add($"confidence: one of {string.Join(", ", Confidences)}");
        }
        var techniques = (definition.Techniques ?? Split(existing?.Techniques)).Select(t => t.Trim().ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (techniques.Count > MaxTags || techniques.Any(t => !TechniquePattern().IsMatch(t)))
        {
            problems.Add($"techniques: at most {MaxTags} MITRE ATT&CK technique IDs such as T1059 or T1059.004");
        }
        var tactics = (definition.Tactics ?? Split(existing?.Tactics)).Select(t => t.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (tactics.Count > MaxTags || tactics.Any(t => !TacticPattern().IsMatch(t)))
        {
            problems.Add($"tactics: at most {MaxTags} MITRE ATT&CK tactic names such as execution or privilege-escalation");
        }
        var scope = definition.Scope ?? existing?.Scope ?? RuleScopes.Local;
        if (!RuleScopes.IsValid(scope))
        {
            problems.Add($"scope: {RuleScopes.Local} or {RuleScopes.Global}");
        }
        if (problems.Count > 0)
        {
            return (null, problems);
        }
        return (new StoredRule
        {
            RuleId = existing?.RuleId ?? "custom-" + Guid.NewGuid().ToString("N")[..24],
            Kind = Kind,
            Title = title,
            SourceName = "hunting query",
            Content = query!,
            Status = "compiled",
            Importance = importance,
            Confidence = confidence,
            Techniques = string.Join(',', techniques),
            Tactics = string.Join(',', tactics),
            Enabled = existing?.Enabled ?? true,
            Scope = scope,
            CreatedBy = existing?.CreatedBy ?? by,
            CreatedUs = existing?.CreatedUs ?? nowUs,
            UpdatedBy = by,
            UpdatedUs = nowUs,
        }, []);
    }

    private static string[] Split(string? list) => string.IsNullOrEmpty(list) ? [] : list.Split(',');

    [GeneratedRegex(@"^T[0-9]{4}(\.[0-9]{3})?$")]
    private static partial Regex TechniquePattern();

    [GeneratedRegex("^[a-z][a-z-]{1,40}$")]
    private static partial Regex TacticPattern();
}
