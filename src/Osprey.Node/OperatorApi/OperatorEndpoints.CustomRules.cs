using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// Custom rules (saved hunting queries) and where a rule applies.
public static partial class OperatorEndpoints
{
    private static IResult CreateCustomRule(HttpContext http, CustomRuleRequest request, INodeStore store, DetectionRuleSet rules, TimeProvider time) =>
        SaveCustomRule(http, null, request, store, rules, time);

    private static IResult UpdateCustomRule(HttpContext http, string id, CustomRuleRequest request, INodeStore store, DetectionRuleSet rules, TimeProvider time)
    {
        var existing = store.GetRule(id);
        if (existing is null || existing.Kind != CustomRules.Kind)
        {
            OperatorAuthentication.Audit(http, id, "refused: no such custom rule");
            return existing is null ? Problems.NotFound($"no rule with ID {id}") : Problems.Conflict($"rule {id} is a {existing.Kind} rule, not a custom one");
        }
        return SaveCustomRule(http, existing, request, store, rules, time);
    }

    private static IResult SaveCustomRule(HttpContext http, StoredRule? existing, CustomRuleRequest request, INodeStore store, DetectionRuleSet rules, TimeProvider time)
    {
        var definition = new CustomRules.Definition(request.Title, request.Query, request.Importance, request.Confidence, request.Techniques, request.Tactics, request.Scope);
        var (rule, problems) = CustomRules.Build(definition, existing, OperatorAuthentication.Current(http)!.Name, time.NowUs());
        if (rule is null)
        {
            OperatorAuthentication.Audit(http, existing?.RuleId ?? "", $"refused: {string.Join("; ", problems)}");
            return Problems.BadRequest(string.Join("; ", problems));
        }
        store.UpsertRules([rule]);
        if (existing is not null && existing.Scope != rule.Scope)
        {
            store.SetRuleScope(rule.RuleId, rule.Scope, rule.UpdatedBy, rule.UpdatedUs);
        }
        rules.Rebuild();
        OperatorAuthentication.Audit(http, rule.RuleId, $"{(existing is null ? "created" : "updated")} '{rule.Title}': {rule.Content}");
        return Results.Ok(ToRuleInfo(store.GetRule(rule.RuleId)!, withContent: true));
    }

    private static IResult SetRuleScope(HttpContext http, string id, RuleScopeRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, request.Scope ?? "");
        if (!RuleScopes.IsValid(request.Scope))
        {
            return Problems.BadRequest($"scope must be {RuleScopes.Local} or {RuleScopes.Global}");
        }
        return store.SetRuleScope(id, request.Scope!, OperatorAuthentication.Current(http)!.Name, time.NowUs())
            ? Results.Ok(ToRuleInfo(store.GetRule(id)!, withContent: false))
            : Problems.NotFound($"no rule with ID {id}");
    }
}
