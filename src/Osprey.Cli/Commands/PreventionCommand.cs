using System.CommandLine;
using System.Text.Json.Nodes;

namespace Osprey.Cli.Commands;

/// <summary>osprey prevention set|clear: replaces the prevention rule set of agents (a "prevention" task per agent).</summary>
public static class PreventionCommand
{
    private static readonly Dictionary<string, string> Modes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["block"] = "PREVENTION_MODE_BLOCK",
        ["audit"] = "PREVENTION_MODE_AUDIT",
    };

    private static readonly Dictionary<string, string> Targets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["executables"] = "PREVENTION_TARGET_EXECUTABLES",
        ["scripts"] = "PREVENTION_TARGET_SCRIPTS",
        ["documents"] = "PREVENTION_TARGET_DOCUMENTS",
    };

    public static Command Create(GlobalOptions global) =>
        new("prevention", "Block or audit executions, scripts and document openings on agents") { SetCommand(global), ClearCommand(global) };

    private static Command SetCommand(GlobalOptions global)
    {
        var file = new Option<string>("--file") { Description = "Rule set (JSON): {\"name\": …, \"rules\": [{\"id\", \"sha256\"|\"md5\"|\"path\", \"mode\": block|audit, \"targets\": [executables, scripts, documents]}]}", Required = true };
        var (agents, all, wait) = TargetOptions();
        var set = new Command("set", "Replace the agents' rule set with the file's (as a whole; an invalid rule refuses all)") { file, agents, all, wait };
        set.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            JsonNode? document;
            try
            {
                document = JsonNode.Parse(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
            {
                throw new CliException($"{path}: {e.Message}");
            }
            var policy = Policy(document as JsonObject ?? throw new CliException($"{path}: the rule set must be a JSON object"));
            return await SubmitAsync(global, parse, agents, all, wait, policy, ct).ConfigureAwait(false);
        });
        return set;
    }

    private static Command ClearCommand(GlobalOptions global)
    {
        var (agents, all, wait) = TargetOptions();
        var clear = new Command("clear", "Remove every prevention rule from the agents") { agents, all, wait };
        clear.SetAction((parse, ct) => SubmitAsync(global, parse, agents, all, wait, new JsonObject { ["rules"] = new JsonArray() }, ct));
        return clear;
    }

    private static (Option<string[]> Agents, Option<bool> All, Option<bool> Wait) TargetOptions() =>
        (new Option<string[]>("--agent") { Description = "Agent ID (repeatable)" },
         new Option<bool>("--all") { Description = "Every enrolled agent" },
         new Option<bool>("--wait") { Description = "Wait until the agents report the rule set applied" });

    private static async Task<int> SubmitAsync(
        GlobalOptions global, ParseResult parse, Option<string[]> agents, Option<bool> all, Option<bool> wait, JsonObject policy, CancellationToken ct)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "prevention",
            ["agents"] = parse.GetValue(agents) ?? [],
            ["all"] = parse.GetValue(all),
            ["params"] = new JsonObject { ["policy"] = policy },
        };
        return await TasksCommand.SubmitAsync(global, parse, body, parse.GetValue(wait), null, ct).ConfigureAwait(false);
    }

    /// <summary>The PreventionPolicy message (protobuf JSON) from the operator's file; short names accepted.</summary>
    internal static JsonObject Policy(JsonObject document)
    {
        var policy = new JsonObject();
        if (document["name"] is { } name)
        {
            policy["name"] = name.GetValue<string>();
        }
        if (document["id"] is { } id)
        {
            policy["policyId"] = id.GetValue<string>();
        }
        var rules = new JsonArray();
        if (document["rules"] is not JsonArray list)
        {
            throw new CliException("the rule set needs a \"rules\" list");
        }
        var index = 0;
        foreach (var item in list)
        {
            index++;
            if (item is not JsonObject rule)
            {
                throw new CliException($"rule {index} is not a JSON object");
            }
            var converted = new JsonObject();
            foreach (var (key, value) in rule)
            {
                var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                switch (key)
                {
                    case "id" or "ruleId":
                        converted["ruleId"] = text ?? throw new CliException($"rule {index}: {key} must be text");
                        break;
                    case "name" or "md5" or "sha256":
                        converted[key] = text ?? throw new CliException($"rule {index}: {key} must be text");
                        break;
                    case "path" or "pathPattern":
                        converted["pathPattern"] = text ?? throw new CliException($"rule {index}: {key} must be text");
                        break;
                    case "mode":
                        converted["mode"] = text is not null && Modes.TryGetValue(text, out var mode) ? mode
                            : throw new CliException($"rule {index}: mode must be block or audit");
                        break;
                    case "targets":
                        var targets = new JsonArray();
                        foreach (var target in value as JsonArray ?? throw new CliException($"rule {index}: targets must be a list"))
                        {
                            var t = target?.GetValue<string>() ?? "";
                            targets.Add(Targets.TryGetValue(t, out var known) ? known : throw new CliException($"rule {index}: target '{t}' is not executables, scripts or documents"));
                        }
                        converted["targets"] = targets;
                        break;
                    default:
                        throw new CliException($"rule {index}: unknown member '{key}' (known: id, name, md5, sha256, path, mode, targets)");
                }
            }
            converted["mode"] ??= Modes["block"];
            rules.Add(converted);
        }
        policy["rules"] = rules;
        return policy;
    }
}
