namespace Osprey.Detection.Sigma;

/// <summary>
/// What a Sigma rule says about itself: identity, title, status, level, tags (MITRE ATT&amp;CK techniques and tactics
/// picked out), log source and the descriptive fields, as read from its YAML.
/// </summary>
public sealed record SigmaRule
{
    /// <summary>The rule's <c>id</c> (a UUID by convention); null when it has none.</summary>
    public string? Id { get; init; }

    /// <summary>The rule's <c>name</c>, the handle correlation rules use; null when it has none.</summary>
    public string? Name { get; init; }

    public required string Title { get; init; }

    /// <summary>stable, test, experimental, deprecated or unsupported as written; null when absent.</summary>
    public string? Status { get; init; }

    public SigmaLevel Level { get; init; }

    public string? Description { get; init; }

    public string? Author { get; init; }

    /// <summary>The <c>date</c> as written (YYYY-MM-DD by convention).</summary>
    public string? Date { get; init; }

    public string? Modified { get; init; }

    public IReadOnlyList<string> References { get; init; } = [];

    public IReadOnlyList<string> FalsePositives { get; init; } = [];

    /// <summary>Every tag as written (<c>attack.t1059.004</c>, <c>attack.execution</c>, <c>cve.2024-3094</c>, …).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>ATT&amp;CK technique IDs from <c>attack.tNNNN[.NNN]</c> tags, upper case (<c>T1059.004</c>).</summary>
    public IReadOnlyList<string> AttackTechniques { get; init; } = [];

    /// <summary>ATT&amp;CK tactic names from the other <c>attack.*</c> tags (<c>execution</c>, <c>privilege-escalation</c>); groups and software excluded.</summary>
    public IReadOnlyList<string> AttackTactics { get; init; } = [];

    public required SigmaLogSource LogSource { get; init; }
}
