using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Osprey.Cli.Commands;

/// <summary>
/// osprey tasks create yara-scan: rule files (local files and directories, or rules imported on the node by ID) and
/// what to scan become a yara-scan task; with --wait the triggered rules are printed with their objects and strings.
/// </summary>
public static class YaraScanCommand
{
    private static readonly string[] RuleExtensions = [".yar", ".yara"];

    public static Command Create(GlobalOptions global)
    {
        var agents = new Option<string[]>("--agent") { Description = "Agent ID (repeatable)" };
        var all = new Option<bool>("--all") { Description = "Every enrolled agent" };
        var rules = new Option<string[]>("--rules") { Description = "A YARA rule file, or a directory (its .yar and .yara files, recursively); repeatable" };
        var ruleIds = new Option<string[]>("--rule-id") { Description = "A YARA rule file imported on the node (rules list --kind yara); repeatable" };
        var paths = new Option<string[]>("--path") { Description = "Absolute path of a file or directory to scan (repeatable)" };
        var recursive = new Option<bool>("--recursive") { Description = "Descend into subdirectories" };
        var exclude = new Option<string[]>("--exclude") { Description = "Absolute path left out with everything under it (repeatable)" };
        var uniquePids = new Option<string[]>("--pid-unique") { Description = "Scan the memory of the process with this UniquePID (repeatable)" };
        var allProcesses = new Option<bool>("--all-processes") { Description = "Scan the memory of every process" };
        var maxFileSize = new Option<long?>("--max-file-size") { Description = "Skip files larger than this many bytes (default 256 MiB)" };
        var threads = new Option<int?>("--threads") { Description = "Threads scanning files on the agent (1 to 8, default 1)" };
        var scanTimeout = new Option<int?>("--scan-timeout") { Description = "Seconds allowed per file or process (default 60)" };
        var timeout = new Option<string?>("--timeout") { Description = "Stop the task after this long, e.g. 30m (default 24h)" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the tasks to end and print the triggered rules" };
        var waitFor = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (default 10m)" };
        var command = new Command("yara-scan", "Scan files, directories and process memory on agents with YARA rules")
        {
            agents, all, rules, ruleIds, paths, recursive, exclude, uniquePids, allProcesses, maxFileSize, threads, scanTimeout, timeout, wait, waitFor,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var files = new JsonArray();
            foreach (var source in parse.GetValue(rules) ?? [])
            {
                foreach (var (name, content) in await ReadRulesAsync(source, ct).ConfigureAwait(false))
                {
                    files.Add(new JsonObject { ["name"] = name, ["content"] = Convert.ToBase64String(content) });
                }
            }
            foreach (var id in parse.GetValue(ruleIds) ?? [])
            {
                var rule = await client.GetAsync($"/api/v1/rules/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
                if (rule.Text("kind") != "yara")
                {
                    throw new CliException($"rule {id} is a {rule.Text("kind")} rule, not a YARA rule file", 2);
                }
                files.Add(new JsonObject { ["name"] = rule.Text("source"), ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(rule.Text("content"))) });
            }
            if (files.Count == 0)
            {
                throw new CliException("give the rules: --rules FILE_OR_DIR or --rule-id ID", 2);
            }
            var parameters = new JsonObject
            {
                ["ruleFiles"] = files,
                ["paths"] = Array(parse.GetValue(paths)),
                ["recursive"] = parse.GetValue(recursive),
                ["excludePaths"] = Array(parse.GetValue(exclude)),
                ["uniquePids"] = Array(parse.GetValue(uniquePids)),
                ["allProcesses"] = parse.GetValue(allProcesses),
            };
            if (parse.GetValue(maxFileSize) is { } max)
            {
                parameters["maxFileSize"] = max;
            }
            if (parse.GetValue(threads) is { } n)
            {
                parameters["threads"] = n;
            }
            if (parse.GetValue(scanTimeout) is { } seconds)
            {
                parameters["timeoutSeconds"] = seconds;
            }
            var body = new Dictionary<string, object?>
            {
                ["type"] = "yara-scan",
                ["agents"] = parse.GetValue(agents) ?? [],
                ["all"] = parse.GetValue(all),
                ["params"] = parameters,
                ["timeoutSeconds"] = parse.GetValue(timeout) is { } t ? (long)Durations.Parse(t).TotalSeconds : null,
            };
            var created = await client.PostAsync("/api/v1/tasks", body, ct).ConfigureAwait(false);
            if (!parse.GetValue(wait))
            {
                return await TasksCommand.ShowCreatedAsync(client, created, null, parse.GetValue(global.Json), ct).ConfigureAwait(false);
            }
            var limit = parse.GetValue(waitFor) is { } w ? Durations.Parse(w) : TimeSpan.FromMinutes(10);
            var results = await TasksCommand.WaitAsync(client, [.. created.EnumerateArray().Select(c => c.Text("taskId"))], limit, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(JsonSerializer.SerializeToElement(results, CliJson.Options), Console.Out);
            }
            else
            {
                results.ForEach(Print);
            }
            return results.All(r => r.Text("state") == "completed") ? 0 : 4;
        });
        return command;
    }

    private static JsonArray Array(string[]? values) => [.. (values ?? []).Select(v => (JsonNode?)JsonValue.Create(v))];

    private static async Task<List<(string Name, byte[] Content)>> ReadRulesAsync(string path, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            return [(Path.GetFileName(path), await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false))];
        }
        return [.. (await RulesCommand.ReadFilesAsync(path, RuleExtensions, ct).ConfigureAwait(false)).Select(f => (f.Name, Encoding.UTF8.GetBytes(f.Content)))];
    }

    /// <summary>The task's state, then each triggered rule with its objects and their first string matches, then the errors.</summary>
    private static void Print(JsonElement detail)
    {
        Console.WriteLine($"task {detail.Text("taskId")} (yara-scan) on {detail.Text("agentId")}: {detail.Text("state")}");
        var reports = detail.TryGetProperty("reports", out var r) ? r.EnumerateArray().ToList() : [];
        if (reports.Count == 0)
        {
            return;
        }
        var report = reports[^1].GetProperty("report");
        if (report.TryGetProperty("errors", out var taskErrors))
        {
            foreach (var error in taskErrors.EnumerateArray())
            {
                Console.WriteLine($"  error: {error.Text("objectName")}: {error.Text("message")} (code {error.Text("code")})");
            }
        }
        if (!report.TryGetProperty("yaraScan", out var result))
        {
            return;
        }
        var ruleResults = result.TryGetProperty("rules", out var list) ? list.EnumerateArray().ToList() : [];
        var triggered = ruleResults.Where(x => x.TryGetProperty("triggered", out var b) && b.GetBoolean()).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {Number(result, "filesScanned")} files and {Number(result, "processesScanned")} processes scanned; {triggered.Count} of {ruleResults.Count} rules triggered{(result.TryGetProperty("truncated", out var tr) && tr.GetBoolean() ? " (result truncated)" : "")}"));
        foreach (var rule in triggered)
        {
            var tags = rule.TryGetProperty("tags", out var t) ? string.Join(",", t.EnumerateArray().Select(x => x.GetString())) : "";
            Console.WriteLine($"  {rule.Text("ruleName")} ({rule.Text("ruleFileName")}){(tags.Length > 0 ? $" [{tags}]" : "")}");
            foreach (var obj in rule.TryGetProperty("objects", out var objects) ? [.. objects.EnumerateArray()] : new List<JsonElement>())
            {
                var what = obj.TryGetProperty("file", out var file) ? $"file {file.Text("fullPath")} ({file.Text("size")} bytes, SHA-256 {file.Text("sha256")})"
                    : obj.TryGetProperty("process", out var process) ? $"process {process.Text("pid")} {process.Text("name")} ({process.Text("uniquePid")})" : "?";
                var strings = obj.TryGetProperty("strings", out var s) ? s.EnumerateArray().Take(5).Select(m =>
                    string.Create(CultureInfo.InvariantCulture, $"{m.Text("identifier")}@0x{ulong.Parse(m.Text("offset") is { Length: > 0 } o ? o : "0", CultureInfo.InvariantCulture):x}")) : [];
                Console.WriteLine($"    {what}: {string.Join(" ", strings)}");
            }
        }
        foreach (var error in result.TryGetProperty("errors", out var errors) ? errors.EnumerateArray().Take(20) : [])
        {
            Console.WriteLine($"  not scanned: {error.Text("objectName")}: {error.Text("message")} (code {error.Text("code")})");
        }
    }

    private static string Number(JsonElement element, string property) => element.Text(property) is { Length: > 0 } text ? text : "0";
}
