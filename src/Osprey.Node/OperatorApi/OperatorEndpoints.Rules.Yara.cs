using System.Globalization;
using Osprey.Detection.Yara;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// YARA rule import: every file compiled on its own with libyara, stored compiled (enabled) or invalid (with file:line).
public static partial class OperatorEndpoints
{
    private static IResult ImportYaraRules(HttpContext http, IReadOnlyList<RuleFile> files, INodeStore store, YaraRuleSet yaraRules, TimeProvider time)
    {
        if (files.GroupBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return Problems.BadRequest($"the file name '{twice.Key}' is given twice (each YARA file is a namespace)");
        }
        var by = OperatorAuthentication.Current(http)!.Name;
        var now = time.NowUs();
        var stored = new List<StoredRule>();
        var outcomes = new List<RuleImportOutcome>();
        foreach (var file in files)
        {
            var check = YaraCompiler.Check(new YaraSource(file.Name, file.Content));
            var rule = YaraImport.ToStored(check, file.Content, by, now);
            stored.Add(rule);
            outcomes.Add(new RuleImportOutcome(rule.RuleId, rule.Title, rule.SourceName, 0, rule.Status, rule.Reason, [.. check.Warnings.Select(w => w.ToString())]));
        }
        store.UpsertRules(stored);
        yaraRules.Rebuild();
        var compiled = outcomes.Count(o => o.Status == "compiled");
        var response = new RuleImportResponse(compiled, 0, outcomes.Count - compiled, outcomes);
        OperatorAuthentication.Audit(http, YaraImport.Kind, string.Create(CultureInfo.InvariantCulture,
            $"files={files.Count} compiled={response.Compiled} invalid={response.Invalid}: {string.Join(", ", files.Take(20).Select(f => f.Name))}"));
        return Results.Ok(response);
    }
}
