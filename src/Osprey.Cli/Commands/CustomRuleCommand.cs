using System.CommandLine;

namespace Osprey.Cli.Commands;

/// <summary>osprey rules create|update|scope: hunting queries saved as custom detection rules, and where a rule applies.</summary>
public static class CustomRuleCommand
{
    public static Command Create(GlobalOptions global)
    {
        var options = new RuleOptions(required: true);
        var create = new Command("create", "Save a hunting query as a custom detection rule; it runs on every event as it arrives");
        options.AddTo(create);
        create.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var rule = await client.PostAsync("/api/v1/rules/custom", options.Body(parse), ct).ConfigureAwait(false);
            Print(rule, parse.GetValue(global.Json), "created");
        });
        return create;
    }

    public static Command Update(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Custom rule ID" };
        var options = new RuleOptions(required: false);
        var update = new Command("update", "Change a custom rule; what is not given stays as it is") { id };
        options.AddTo(update);
        update.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var rule = await client.PutAsync($"/api/v1/rules/custom/{Uri.EscapeDataString(parse.GetValue(id)!)}", options.Body(parse), ct).ConfigureAwait(false);
            Print(rule, parse.GetValue(global.Json), "updated");
        });
        return update;
    }

    public static Command Scope(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Rule ID" };
        var scope = new Argument<string>("scope") { Description = "local (this node) or global (from a primary node, every node)" };
        scope.AcceptOnlyFromAmong("local", "global");
        var command = new Command("scope", "Set where a rule applies") { id, scope };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var rule = await client.PostAsync($"/api/v1/rules/{Uri.EscapeDataString(parse.GetValue(id)!)}/scope", new { scope = parse.GetValue(scope) }, ct).ConfigureAwait(false);
            Print(rule, parse.GetValue(global.Json), "scope set");
        });
        return command;
    }

    /// <summary>Saves <paramref name="query"/> as a rule with default metadata (osprey events search --save-rule).</summary>
    internal static async Task SaveAsync(ApiClient client, string title, string query, CancellationToken ct)
    {
        var rule = await client.PostAsync("/api/v1/rules/custom", new { title, query }, ct).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"saved as custom rule {rule.Text("ruleId")} '{rule.Text("title")}'").ConfigureAwait(false);
    }

    private static void Print(System.Text.Json.JsonElement rule, bool json, string what)
    {
        if (json)
        {
            CliJson.Print(rule, Console.Out);
            return;
        }
        Console.WriteLine($"custom rule {rule.Text("ruleId")} {what}: '{rule.Text("title")}' ({rule.Text("importance")} importance, {rule.Text("confidence")} confidence, {rule.Text("scope")}, {(rule.GetProperty("enabled").GetBoolean() ? "enabled" : "disabled")})");
        Console.WriteLine($"  {rule.Text("content")}");
    }

    private sealed class RuleOptions(bool required)
    {
        private readonly Option<string?> _title = new("--title") { Description = "What the rule detects", Required = required };
        private readonly Option<string?> _query = new("--query") { Description = "Hunting query, e.g. 'EventType = \"ProcessStart\" AND CommandLine CONTAINS \"curl\"'", Required = required };
        private readonly Option<string?> _importance = new("--importance") { Description = "low, medium (default), high or critical" };
        private readonly Option<string?> _confidence = new("--confidence") { Description = "low, medium (default) or high" };
        private readonly Option<string[]> _techniques = new("--technique") { Description = "MITRE ATT&CK technique ID (T1059.004); repeatable", AllowMultipleArgumentsPerToken = false };
        private readonly Option<string[]> _tactics = new("--tactic") { Description = "MITRE ATT&CK tactic (execution); repeatable" };
        private readonly Option<string?> _scope = new("--scope") { Description = "local (default) or global" };

        public void AddTo(Command command)
        {
            foreach (var option in (Option[])[_title, _query, _importance, _confidence, _techniques, _tactics, _scope])
            {
                command.Options.Add(option);
            }
        }

        public object Body(ParseResult parse) => new
        {
            title = parse.GetValue(_title),
            query = parse.GetValue(_query),
            importance = parse.GetValue(_importance),
            confidence = parse.GetValue(_confidence),
            techniques = parse.GetValue(_techniques) is { Length: > 0 } t ? t : null,
            tactics = parse.GetValue(_tactics) is { Length: > 0 } a ? a : null,
            scope = parse.GetValue(_scope),
        };
    }
}
