namespace Osprey.Detection.Yara;

/// <summary>A rule that matched an object: its namespace (the rule file), name, tags and string matches (at most the configured number; <see cref="StringsTruncated"/> says more were found).</summary>
public sealed record YaraRuleHit(string Namespace, string Rule, IReadOnlyList<string> Tags, IReadOnlyList<YaraStringHit> Strings, bool StringsTruncated);
