using System.Security.Cryptography;
using System.Text;
using Osprey.Detection.Sigma;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>Turns the compile result of each YAML document of an imported file into a stored rule.</summary>
public static class SigmaImport
{
    public const string Kind = "sigma";

    /// <summary>The rule as stored: compiled ones enabled, unsupported and invalid ones kept (disabled) with the reason.</summary>
    public static StoredRule ToStored(SigmaCompileResult result, string content, string by, long nowUs) => new()
    {
        RuleId = RuleId(result, content),
        Kind = Kind,
        Title = result.Rule?.Title ?? $"{result.Source} (document {result.Document + 1})",
        SourceName = result.Source,
        Document = result.Document,
        Content = content,
        Status = Status(result.Status),
        Reason = result.Reason,
        Importance = RuleLevels.Importance(result.Rule?.Level ?? SigmaLevel.None),
        Confidence = RuleLevels.Confidence(result.Rule?.Status),
        Techniques = string.Join(',', result.Rule?.AttackTechniques ?? []),
        Tactics = string.Join(',', result.Rule?.AttackTactics ?? []),
        Enabled = result.Status == SigmaCompileStatus.Compiled,
        CreatedBy = by,
        CreatedUs = nowUs,
        UpdatedBy = by,
        UpdatedUs = nowUs,
    };

    public static string Status(SigmaCompileStatus status) => status switch
    {
        SigmaCompileStatus.Compiled => "compiled",
        SigmaCompileStatus.Unsupported => "unsupported",
        _ => "invalid",
    };

    /// <summary>
    /// The rule's own <c>id</c> when it has a usable one (so re-importing a rule replaces it); otherwise one derived
    /// from the file name, document and text, so importing the same file twice still gives the same ID.
    /// </summary>
    private static string RuleId(SigmaCompileResult result, string content)
    {
        if (result.Rule?.Id is { Length: > 0 and <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return id.ToLowerInvariant();
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{result.Source}\n{result.Document}\n{content}"));
        return "sigma-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}
