namespace Osprey.Detection.Yara;

/// <summary>A rule of a compiled set: its namespace (the rule file), name and tags.</summary>
public sealed record YaraRuleInfo(string Namespace, string Rule, IReadOnlyList<string> Tags);
