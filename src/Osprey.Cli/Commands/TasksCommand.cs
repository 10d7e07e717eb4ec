using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Osprey.Cli.Commands;

/// <summary>osprey tasks create|list|show|cancel.</summary>
public static partial class TasksCommand
{
    private static readonly string[] EndStates = ["completed", "failed", "cancelled", "timeout", "paused"];

    public static Command Create(GlobalOptions global) =>
        new("tasks", "Response and forensic tasks on agents") { CreateCommand(global), ListCommand(global), ShowCommand(global), CancelCommand(global) };

    private static Command CreateCommand(GlobalOptions global)
    {
        var type = new Argument<string>("type") { Description = "Task type: run-process, terminate-process, process-list, dir-list, delete-file, get-file, …" };
        var agents = new Option<string[]>("--agent") { Description = "Agent ID (repeatable)", AllowMultipleArgumentsPerToken = false };
        var all = new Option<bool>("--all") { Description = "Every enrolled agent" };
        var parameters = new Option<string?>("--params") { Description = "Parameters as a JSON object (the type's parameters message, camelCase)" };
        var param = new Option<string[]>("--param") { Description = "One parameter as name=value (value as JSON if it parses, else text; a name given twice makes a list)" };
        var at = new Option<DateTimeOffset?>("--at") { Description = "Start at this time (ISO 8601)" };
        var cron = new Option<string?>("--cron") { Description = "Run on this cron schedule (five fields, the device's local time)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "No runs of a recurring task after this time" };
        var timeout = new Option<string?>("--timeout") { Description = "Stop the task after this long, e.g. 10m (default 24h)" };
        var runAs = new Option<string?>("--run-as") { Description = "Account to run as" };
        var passwordFile = new Option<string?>("--password-file") { Description = "File holding the run-as password (sealed at once, never shown again)" };
        var wait = new Option<bool>("--wait") { Description = "Wait for the tasks to end, showing progress" };
        var waitFor = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (default 10m)" };
        var (ioc, ruleIds) = IocScanOptions();
        var create = new Command("create", "Create a task for one or more agents")
        {
            type, agents, all, parameters, param, at, cron, until, timeout, runAs, passwordFile, wait, waitFor, ioc, ruleIds, YaraScanCommand.Create(global),
        };
        create.SetAction(async (parse, ct) =>
        {
            var taskParams = Params(parse.GetValue(parameters), parse.GetValue(param) ?? []);
            await AddIocFilesAsync(global, parse, parse.GetValue(type)!, parse.GetValue(ioc) ?? [], parse.GetValue(ruleIds) ?? [], taskParams, ct).ConfigureAwait(false);
            var body = new Dictionary<string, object?>
            {
                ["type"] = parse.GetValue(type),
                ["agents"] = parse.GetValue(agents) ?? [],
                ["all"] = parse.GetValue(all),
                ["params"] = taskParams,
                ["startAt"] = parse.GetValue(at),
                ["cron"] = parse.GetValue(cron),
                ["endAt"] = parse.GetValue(until),
                ["timeoutSeconds"] = parse.GetValue(timeout) is { } t ? (long)Durations.Parse(t).TotalSeconds : null,
            };
            if (parse.GetValue(runAs) is { } user)
            {
                var password = parse.GetValue(passwordFile) is { } file ? (await File.ReadAllTextAsync(file, ct).ConfigureAwait(false)).TrimEnd('\n', '\r') : null;
                body["runAs"] = new Dictionary<string, object?> { ["user"] = user, ["password"] = password };
            }
            else if (parse.GetValue(passwordFile) is not null)
            {
                throw new CliException("--password-file needs --run-as");
            }
            return await SubmitAsync(global, parse, body, parse.GetValue(wait), parse.GetValue(waitFor), ct).ConfigureAwait(false);
        });
        return create;
    }

    /// <summary>
    /// Creates the tasks of <paramref name="body"/> (POST /api/v1/tasks) and prints them, or, with <paramref name="wait"/>,
    /// waits for them to end and prints their outcome; exit code 0 when every task completed, 4 when one did not.
    /// </summary>
    internal static async Task<int> SubmitAsync(
        GlobalOptions global, ParseResult parse, Dictionary<string, object?> body, bool wait, string? waitTimeout, CancellationToken ct)
    {
        using var client = global.Client(parse);
        var created = await client.PostAsync("/api/v1/tasks", body, ct).ConfigureAwait(false);
        var limit = waitTimeout is { } w ? Durations.Parse(w) : TimeSpan.FromMinutes(10);
        return await ShowCreatedAsync(client, created, wait ? limit : null, parse.GetValue(global.Json), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Prints tasks just created, or with <paramref name="waitLimit"/> waits for them to end (progress on stderr) and
    /// prints their details; the exit code: 0 when every task completed, 4 otherwise.
    /// </summary>
    internal static async Task<int> ShowCreatedAsync(ApiClient client, JsonElement created, TimeSpan? waitLimit, bool json, CancellationToken ct)
    {
        if (waitLimit is not { } limit)
        {
            Output.Print(created, json, Output.Column("TASK", "taskId"), Output.Column("AGENT", "agentId"), Output.Column("TYPE", "type"), Output.Column("STATE", "state"));
            return 0;
        }
        var ids = created.EnumerateArray().Select(t => t.Text("taskId")).ToList();
        var results = await WaitAsync(client, ids, limit, ct).ConfigureAwait(false);
        if (json)
        {
            CliJson.Print(JsonSerializer.SerializeToElement(results, CliJson.Options), Console.Out);
        }
        else
        {
            foreach (var result in results)
            {
                PrintDetail(result);
            }
        }
        return results.All(r => r.Text("state") == "completed") ? 0 : 4;
    }

    /// <summary>Polls until every task has ended, printing each state change to stderr; the tasks' details.</summary>
    internal static async Task<List<JsonElement>> WaitAsync(ApiClient client, List<string> ids, TimeSpan limit, CancellationToken ct)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var details = new List<JsonElement>();
            foreach (var id in ids)
            {
                var detail = await client.GetAsync($"/api/v1/tasks/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
                details.Add(detail);
                var state = detail.Text("state");
                if (!states.TryGetValue(id, out var seen) || seen != state)
                {
                    states[id] = state;
                    await Console.Error.WriteLineAsync($"{DateTime.Now:HH:mm:ss} task {id} on {detail.Text("agentId")}: {state}").ConfigureAwait(false);
                }
            }
            if (details.All(d => EndStates.Contains(d.Text("state"), StringComparer.Ordinal)))
            {
                return details;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new CliException($"gave up waiting after {limit}: {string.Join(", ", states.Select(s => $"{s.Key} {s.Value}"))}", 5);
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private static Command ListCommand(GlobalOptions global)
    {
        var agent = new Option<string?>("--agent") { Description = "Only this agent's tasks" };
        var state = new Option<string?>("--state") { Description = "Only tasks in this state (pending, delivered, running, completed, failed, cancelled, timeout, paused)" };
        var type = new Option<string?>("--type") { Description = "Only tasks of this type" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 100)" };
        var list = new Command("list", "List tasks, newest first") { agent, state, type, limit };
        list.SetAction(async (parse, ct) =>
        {
            var query = string.Join("&", new[] { ("agent", parse.GetValue(agent)), ("state", parse.GetValue(state)), ("type", parse.GetValue(type)), ("limit", parse.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
                .Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/tasks" + (query.Length > 0 ? "?" + query : ""), ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("TASK", "taskId"), Output.Column("AGENT", "agentId"), Output.Column("TYPE", "type"), Output.Column("STATE", "state"),
                Output.Column("CREATED", "createdAt"), Output.Column("BY", "createdBy"));
        });
        return list;
    }

    private static Command ShowCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Task ID" };
        var show = new Command("show", "Show a task, its parameters and its reports") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var detail = await client.GetAsync($"/api/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(detail, Console.Out);
            }
            else
            {
                PrintDetail(detail);
            }
        });
        return show;
    }

    private static Command CancelCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Task ID" };
        var cancel = new Command("cancel", "Cancel a task (an agent running it stops it)") { id };
        cancel.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var task = await client.PostAsync($"/api/v1/tasks/{Uri.EscapeDataString(parse.GetValue(id)!)}/cancel", null, ct).ConfigureAwait(false);
            Console.WriteLine($"task {task.Text("taskId")}: {task.Text("state")}");
        });
        return cancel;
    }

    /// <summary>The task's summary lines, then its final report's result as JSON.</summary>
    private static void PrintDetail(JsonElement detail)
    {
        Console.WriteLine($"task {detail.Text("taskId")} ({detail.Text("type")}) on {detail.Text("agentId")}: {detail.Text("state")}");
        var reports = detail.TryGetProperty("reports", out var r) ? r.EnumerateArray().ToList() : [];
        if (reports.Count == 0)
        {
            return;
        }
        var last = reports[^1].GetProperty("report");
        var code = last.Text("returnCode");
        Console.WriteLine($"  return code {(code.Length > 0 ? code : "0")}, completed {last.Text("completedUs")}");
        if (last.TryGetProperty("errors", out var errors))
        {
            foreach (var error in errors.EnumerateArray())
            {
                Console.WriteLine($"  error: {error.Text("objectName")}: {error.Text("message")} (code {error.Text("code")})");
            }
        }
        foreach (var property in last.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
        {
            if (property.Name == "iocScan")
            {
                PrintIocScan(property.Value);
                continue;
            }
            CliJson.Print(property.Value, Console.Out);
        }
    }

    /// <summary>The parameters object from --params and --param name=value pairs.</summary>
    internal static JsonObject Params(string? json, IReadOnlyList<string> pairs)
    {
        JsonObject result;
        try
        {
            result = json is null ? [] : JsonNode.Parse(json) as JsonObject ?? throw new CliException("--params must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new CliException($"--params is not valid JSON: {e.Message}");
        }
        foreach (var group in pairs.Select(Pair).GroupBy(p => p.Name, StringComparer.Ordinal))
        {
            var values = group.Select(p => p.Value).ToList();
            result[group.Key] = values.Count == 1 ? values[0] : new JsonArray([.. values]);
        }
        return result;

        static (string Name, JsonNode? Value) Pair(string pair)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--param '{pair}' is not name=value");
            }
            var text = pair[(equals + 1)..];
            JsonNode? value;
            try
            {
                value = text.Length > 0 && (char.IsDigit(text[0]) || text[0] is '-' or '[' or '{' or '"' || text is "true" or "false") ? JsonNode.Parse(text) : JsonValue.Create(text);
            }
            catch (JsonException)
            {
                value = JsonValue.Create(text);
            }
            return (pair[..equals], value);
        }
    }
}
