using System.Security.Cryptography;
using System.Text;
using Osprey.Detection.OpenIoc;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>Turns the parse result of an imported OpenIOC file into a stored rule (one per file).</summary>
public static class IocImport
{
    public const string Kind = "ioc";

    /// <summary>
    /// The rule as stored: a document that parsed is "compiled" and enabled, a rejected one "invalid" (disabled) with the
    /// reason. Warnings: the parser's, then the terms an endpoint IOC scan does not evaluate.
    /// </summary>
    public static (StoredRule Rule, IReadOnlyList<string> Warnings) ToStored(IocParseResult result, string content, string by, long nowUs)
    {
        var document = result.Document;
        var warnings = new List<string>(result.Warnings);
        if (document is not null)
        {
            warnings.AddRange(new IocEvaluator(IocTermCatalog.Endpoint).UnknownTermWarnings(document.Indicators.SelectMany(i => i.Items()))
                .Select(w => "endpoint IOC scan: " + w));
        }
        var rule = new StoredRule
        {
            RuleId = RuleId(document, result.Source, content),
            Kind = Kind,
            Title = document is null ? result.Source : document.Title,
            SourceName = result.Source,
            Content = content,
            Status = document is null ? "invalid" : "compiled",
            Reason = result.Reason,
            Importance = "medium",
            Confidence = "medium",
            Enabled = document is not null,
            CreatedBy = by,
            CreatedUs = nowUs,
            UpdatedBy = by,
            UpdatedUs = nowUs,
        };
        return (rule, warnings);
    }

    /// <summary>
    /// "ioc-" and the document's id when it has a usable one (so re-importing a document replaces it); otherwise one
    /// derived from the file name and text, so importing the same file twice still gives the same ID.
    /// </summary>
    private static string RuleId(IocDocument? document, string source, string content)
    {
        if (document?.Id is { Length: > 0 and <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return "ioc-" + id.ToLowerInvariant();
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{source}\n{content}"));
        return "ioc-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}
