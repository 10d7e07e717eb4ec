using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Osprey.Cli.Commands;

/// <summary>osprey rules import|list|show|enable|disable|create|update|scope.</summary>
public static class RulesCommand
{
    // Requests stay well under the node's body limit (32 MiB by default) however large the directory.
    private const long MaxRequestChars = 8 * 1024 * 1024;

    public static Command Create(GlobalOptions global) =>
        new("rules", "Detection rules")
        {
            ImportCommand(global), ListCommand(global), ShowCommand(global), EnableCommand(global, true), EnableCommand(global, false),
            CustomRuleCommand.Create(global), CustomRuleCommand.Update(global), CustomRuleCommand.Scope(global),
        };

    private static Command ImportCommand(GlobalOptions global)
    {
        var kind = new Argument<string>("kind") { Description = "Rule kind: sigma, ioc or yara" };
        var path = new Argument<string>("path") { Description = "A rule file, or a directory (recursively: .yml and .yaml files for sigma, .ioc and .xml for ioc, .yar and .yara for yara)" };
        var import = new Command("import", "Import rules; every rule is reported compiled, unsupported or invalid with the reason") { kind, path };
        import.SetAction(async (parse, ct) =>
        {
            var ruleKind = parse.GetValue(kind)!;
            if (!Extensions.TryGetValue(ruleKind, out var extensions))
            {
                throw new CliException($"rules of kind '{ruleKind}' cannot be imported yet; kinds: {string.Join(", ", Extensions.Keys)}", 2);
            }
            var files = await ReadFilesAsync(parse.GetValue(path)!, extensions, ct).ConfigureAwait(false);
            using var client = global.Client(parse);
            var outcomes = new List<JsonElement>();
            int compiled = 0, unsupported = 0, invalid = 0;
            foreach (var chunk in Chunks(files))
            {
                var reply = await client.PostAsync("/api/v1/rules/import", new { kind = ruleKind, files = chunk }, ct).ConfigureAwait(false);
                compiled += reply.GetProperty("compiled").GetInt32();
                unsupported += reply.GetProperty("unsupported").GetInt32();
                invalid += reply.GetProperty("invalid").GetInt32();
                outcomes.AddRange(reply.GetProperty("rules").EnumerateArray());
            }
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(JsonSerializer.SerializeToElement(new { compiled, unsupported, invalid, rules = outcomes }, CliJson.Options), Console.Out);
                return 0;
            }
            foreach (var o in outcomes)
            {
                var where = o.GetProperty("document").GetInt32() == 0 ? o.Text("source") : $"{o.Text("source")} (document {o.GetProperty("document").GetInt32() + 1})";
                var reason = o.Text("reason");
                Console.WriteLine($"{where}: {o.Text("status")} '{o.Text("title")}' [{o.Text("ruleId")}]{(reason.Length > 0 ? ": " + reason : "")}");
                foreach (var warning in o.TryGetProperty("warnings", out var warnings) ? warnings.EnumerateArray() : [])
                {
                    Console.WriteLine($"    warning: {warning.GetString()}");
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{outcomes.Count} rules from {files.Count} files: {compiled} compiled, {unsupported} unsupported, {invalid} invalid"));
            return 0;
        });
        return import;
    }

    /// <summary>The kinds that can be imported and the file name endings of each searched in a directory.</summary>
    internal static readonly Dictionary<string, string[]> Extensions = new(StringComparer.Ordinal)
    {
        ["sigma"] = [".yml", ".yaml"],
        ["ioc"] = [".ioc", ".xml"],
        ["yara"] = [".yar", ".yara"],
    };

    internal static async Task<List<(string Name, string Content)>> ReadFilesAsync(string path, string[] extensions, CancellationToken ct)
    {
        var files = new List<(string, string)>();
        foreach (var (name, file) in RuleFiles(path, extensions))
        {
            files.Add((name, await File.ReadAllTextAsync(file, ct).ConfigureAwait(false)));
        }
        return files;
    }

    /// <summary>
    /// The file <paramref name="path"/> names, or the files under the directory ending in one of <paramref name="extensions"/>
    /// (names relative to it, sorted); a missing path or an empty directory is an error.
    /// </summary>
    internal static List<(string Name, string Path)> RuleFiles(string path, string[] extensions)
    {
        if (File.Exists(path))
        {
            return [(Path.GetFileName(path), path)];
        }
        if (!Directory.Exists(path))
        {
            throw new CliException($"no file or directory '{path}'", 2);
        }
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(path, f), f))
            .ToList();
        return files.Count > 0 ? files : throw new CliException($"no {string.Join(" or ", extensions)} files under '{path}'", 2);
    }

    private static IEnumerable<List<object>> Chunks(List<(string Name, string Content)> files)
    {
        var chunk = new List<object>();
        long size = 0;
        foreach (var (name, content) in files)
        {
            if (chunk.Count > 0 && (size + content.Length > MaxRequestChars || chunk.Count >= 5_000))
            {
                yield return chunk;
                chunk = [];
                size = 0;
            }
            chunk.Add(new { name, content });
            size += content.Length;
        }
        yield return chunk;
    }

    private static Command ListCommand(GlobalOptions global)
    {
        var kind = new Option<string?>("--kind") { Description = "Only rules of this kind (sigma, ioc, yara, custom)" };
        var status = new Option<string?>("--status") { Description = "Only rules with this status (compiled, unsupported, invalid)" };
        var enabled = new Option<bool>("--enabled") { Description = "Only enabled rules" };
        var disabled = new Option<bool>("--disabled") { Description = "Only disabled rules" };
        var list = new Command("list", "List rules") { kind, status, enabled, disabled };
        list.SetAction(async (parse, ct) =>
        {
            var on = parse.GetValue(enabled) ? "true" : parse.GetValue(disabled) ? "false" : null;
            var query = Query(("kind", parse.GetValue(kind)), ("status", parse.GetValue(status)), ("enabled", on));
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/rules" + query, ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("RULE", "ruleId"), Output.Column("KIND", "kind"), Output.Column("TITLE", "title"), Output.Column("STATUS", "status"), Output.Column("ENABLED", "enabled"),
                Output.Column("IMPORTANCE", "importance"), ("ATT&CK", r => string.Join(",", r.TryGetProperty("techniques", out var t) ? t.EnumerateArray().Select(x => x.GetString()) : [])),
                Output.Column("SCOPE", "scope"), Output.Column("SOURCE", "source"));
        });
        return list;
    }

    private static Command ShowCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Rule ID" };
        var show = new Command("show", "Show a rule and its text") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var rule = await client.GetAsync($"/api/v1/rules/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct).ConfigureAwait(false);
            Output.PrintObject(rule, parse.GetValue(global.Json));
        });
        return show;
    }

    private static Command EnableCommand(GlobalOptions global, bool enable)
    {
        var id = new Argument<string>("id") { Description = "Rule ID" };
        var command = new Command(enable ? "enable" : "disable", enable ? "Enable a compiled rule" : "Disable a rule") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var rule = await client.PostAsync($"/api/v1/rules/{Uri.EscapeDataString(parse.GetValue(id)!)}/{(enable ? "enable" : "disable")}", null, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(rule, Console.Out);
            }
            else
            {
                Console.WriteLine($"rule {rule.Text("ruleId")} '{rule.Text("title")}': {(rule.GetProperty("enabled").GetBoolean() ? "enabled" : "disabled")}");
            }
        });
        return command;
    }

    /// <summary>"?a=1&amp;b=2" from the pairs that have a value; "" when none has.</summary>
    internal static string Query(params (string Name, string? Value)[] pairs)
    {
        var query = string.Join("&", pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
        return query.Length > 0 ? "?" + query : "";
    }
}
