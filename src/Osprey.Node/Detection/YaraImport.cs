using System.Security.Cryptography;
using System.Text;
using Osprey.Detection.Yara;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>Turns what compiling an imported YARA file gave into a stored rule: one stored rule per file (a namespace).</summary>
public static class YaraImport
{
    public const string Kind = "yara";

    private const int MaxTitleRules = 5;

    public static StoredRule ToStored(YaraFileCheck check, string content, string by, long nowUs) => new()
    {
        RuleId = RuleId(check.Name),
        Kind = Kind,
        Title = Title(check),
        SourceName = check.Name,
        Content = content,
        Status = check.Compiled ? "compiled" : "invalid",
        Reason = check.Reason,
        Importance = "high",
        Confidence = "medium",
        Enabled = check.Compiled,
        CreatedBy = by,
        CreatedUs = nowUs,
        UpdatedBy = by,
        UpdatedUs = nowUs,
    };

    /// <summary>From the file name alone, so importing a changed version of a file replaces it.</summary>
    public static string RuleId(string sourceName) =>
        "yara-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sourceName)).AsSpan(0, 12));

    private static string Title(YaraFileCheck check) => check.Rules.Count switch
    {
        0 => check.Name,
        <= MaxTitleRules => $"{check.Name}: {string.Join(", ", check.Rules)}",
        _ => $"{check.Name}: {string.Join(", ", check.Rules.Take(MaxTitleRules))} and {check.Rules.Count - MaxTitleRules} more",
    };
}
