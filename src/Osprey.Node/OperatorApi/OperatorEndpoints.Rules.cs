using System.Globalization;
using Osprey.Detection.Sigma;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// Detection rules: import (every document reported), list, show, enable, disable.
public static partial class OperatorEndpoints
{
    private const int MaxRuleFiles = 10_000;

    private static IResult ImportRules(HttpContext http, RuleImportRequest request, INodeStore store, DetectionRuleSet rules, YaraRuleSet yaraRules, TimeProvider time)
    {
        var files = request.Files ?? [];
        OperatorAuthentication.Audit(http, request.Kind ?? "", $"files={files.Count}: {string.Join(", ", files.Take(20).Select(f => f.Name))}");
        if (request.Kind is not (SigmaImport.Kind or IocImport.Kind or YaraImport.Kind))
        {
            return Problems.BadRequest($"rules of kind '{request.Kind}' cannot be imported yet; kinds: {SigmaImport.Kind}, {IocImport.Kind}, {YaraImport.Kind}");
        }
        if (files.Count is 0 or > MaxRuleFiles)
        {
            return Problems.BadRequest($"an import holds 1 to {MaxRuleFiles} files");
        }
        if (files.Any(f => string.IsNullOrWhiteSpace(f.Name) || f.Name.Length > 1024 || f.Content is null))
        {
            return Problems.BadRequest("every file needs a name (at most 1024 characters) and its content");
        }
        if (string.Equals(request.Kind, YaraImport.Kind, StringComparison.Ordinal))
        {
            return ImportYaraRules(http, files, store, yaraRules, time);
        }
        var by = OperatorAuthentication.Current(http)!.Name;
        var now = time.NowUs();
        var outcomes = request.Kind == IocImport.Kind ? ImportIocRules(files, store, by, now) : ImportSigmaRules(files, store, rules, by, now);
        if (request.Kind == IocImport.Kind)
        {
            // IOC rules run on the stream too.
            rules.Rebuild();
        }
        var counts = outcomes.CountBy(o => o.Status).ToDictionary(StringComparer.Ordinal);
        var response = new RuleImportResponse(counts.GetValueOrDefault("compiled"), counts.GetValueOrDefault("unsupported"), counts.GetValueOrDefault("invalid"), outcomes);
        OperatorAuthentication.Audit(http, request.Kind!, string.Create(CultureInfo.InvariantCulture,
            $"files={files.Count} compiled={response.Compiled} unsupported={response.Unsupported} invalid={response.Invalid}: {string.Join(", ", files.Take(20).Select(f => f.Name))}"));
        return Results.Ok(response);
    }

    private static List<RuleImportOutcome> ImportSigmaRules(IReadOnlyList<RuleFile> files, INodeStore store, DetectionRuleSet rules, string by, long now)
    {
        var compiler = new SigmaCompiler();
        var stored = new List<StoredRule>();
        var outcomes = new List<RuleImportOutcome>();
        var compiled = new List<(string RuleId, string Content, CompiledSigmaRule Rule)>();
        foreach (var file in files)
        {
            foreach (var result in compiler.Compile(file.Content, file.Name))
            {
                var rule = SigmaImport.ToStored(result, file.Content, by, now);
                stored.Add(rule);
                outcomes.Add(new RuleImportOutcome(rule.RuleId, rule.Title, rule.SourceName, rule.Document, rule.Status, rule.Reason, result.Warnings));
                if (result.Compiled is { } c)
                {
                    compiled.Add((rule.RuleId, file.Content, c));
                }
            }
        }
        store.UpsertRules(stored);
        foreach (var (ruleId, content, rule) in compiled)
        {
            rules.Remember(ruleId, content, rule);
        }
        rules.Rebuild();
        return outcomes;
    }

    private static IResult ListRules(INodeStore store, string? kind, string? status, bool? enabled, int? limit) =>
        Results.Ok<IReadOnlyList<RuleInfo>>(store.ListRules(new RuleFilter
        {
            Kind = string.IsNullOrEmpty(kind) ? null : kind,
            Status = string.IsNullOrEmpty(status) ? null : status,
            Enabled = enabled,
            Limit = Math.Clamp(limit ?? 10_000, 1, 100_000),
        }).Select(r => ToRuleInfo(r, withContent: false)).ToList());

    private static IResult ShowRule(HttpContext http, string id, INodeStore store)
    {
        OperatorAuthentication.Audit(http, id, "");
        var rule = store.GetRule(id);
        return rule is null ? Problems.NotFound($"no rule with ID {id}") : Results.Ok(ToRuleInfo(rule, withContent: true));
    }

    private static IResult EnableRule(HttpContext http, string id, INodeStore store, DetectionRuleSet rules, YaraRuleSet yaraRules, TimeProvider time) =>
        SetRuleEnabled(http, id, true, store, rules, yaraRules, time);

    private static IResult DisableRule(HttpContext http, string id, INodeStore store, DetectionRuleSet rules, YaraRuleSet yaraRules, TimeProvider time) =>
        SetRuleEnabled(http, id, false, store, rules, yaraRules, time);

    private static IResult SetRuleEnabled(HttpContext http, string id, bool enabled, INodeStore store, DetectionRuleSet rules, YaraRuleSet yaraRules, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, enabled ? "enable" : "disable");
        var rule = store.GetRule(id);
        if (rule is null)
        {
            return Problems.NotFound($"no rule with ID {id}");
        }
        if (enabled && rule.Status != "compiled")
        {
            return Problems.Conflict($"rule {id} is {rule.Status} and cannot be enabled: {rule.Reason}");
        }
        store.SetRuleEnabled(id, enabled, OperatorAuthentication.Current(http)!.Name, time.NowUs());
        if (string.Equals(rule.Kind, YaraImport.Kind, StringComparison.Ordinal))
        {
            yaraRules.Rebuild();
        }
        else
        {
            rules.Rebuild();
        }
        return Results.Ok(ToRuleInfo(store.GetRule(id)!, withContent: false));
    }

    private static RuleInfo ToRuleInfo(StoredRule r, bool withContent) => new()
    {
        RuleId = r.RuleId,
        Kind = r.Kind,
        Title = r.Title,
        Source = r.SourceName,
        Document = r.Document,
        Status = r.Status,
        Reason = r.Reason,
        Importance = r.Importance,
        Confidence = r.Confidence,
        Techniques = SplitList(r.Techniques),
        Tactics = SplitList(r.Tactics),
        Enabled = r.Enabled,
        Scope = r.Scope,
        Version = r.Version,
        CreatedBy = r.CreatedBy,
        CreatedAt = NodeClock.FromUs(r.CreatedUs),
        UpdatedBy = r.UpdatedBy,
        UpdatedAt = NodeClock.FromUs(r.UpdatedUs),
        Content = withContent ? r.Content : null,
    };

    private static string[] SplitList(string value) => value.Length == 0 ? [] : value.Split(',');
}
