using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Osprey.Cli.Commands;

/// <summary>osprey events search|tree: threat hunting.</summary>
public static class EventsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var query = new Argument<string>("query") { Description = "Hunting query, e.g. 'EventType = \"ProcessStart\" AND CommandLine CONTAINS \"curl\"'", DefaultValueFactory = _ => "" };
        var from = new Option<string?>("--from") { Description = "Start of the time range (ISO 8601, or a duration back from now such as 24h)" };
        var to = new Option<string?>("--to") { Description = "End of the time range (ISO 8601, or a duration back from now)" };
        var limit = new Option<int>("--limit") { Description = "Most events to return", DefaultValueFactory = _ => 100 };
        var sort = new Option<string>("--sort") { Description = "Field to sort by", DefaultValueFactory = _ => "EventTime" };
        var ascending = new Option<bool>("--asc") { Description = "Sort ascending (default: descending)" };
        var count = new Option<bool>("--count") { Description = "Only count the matching events" };
        var saveRule = new Option<string?>("--save-rule") { Description = "Also save the query as a custom detection rule with this title (see osprey rules create for its options)" };
        var search = new Command("search", "Search events with the hunting query language") { query, from, to, limit, sort, ascending, count, saveRule };
        search.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var body = new
            {
                query = parse.GetValue(query),
                from = Time(parse.GetValue(from)),
                to = Time(parse.GetValue(to)),
                limit = parse.GetValue(limit),
                sort = parse.GetValue(sort),
                ascending = parse.GetValue(ascending),
                countOnly = parse.GetValue(count),
            };
            var result = await client.PostAsync("/api/v1/events/search", body, ct).ConfigureAwait(false);
            if (parse.GetValue(saveRule) is { } title)
            {
                // Saved only once the search accepted the query, so a rule is never a query hunting refuses.
                await CustomRuleCommand.SaveAsync(client, title, parse.GetValue(query)!, ct).ConfigureAwait(false);
            }
            if (parse.GetValue(count))
            {
                if (parse.GetValue(global.Json))
                {
                    CliJson.Print(result, Console.Out);
                }
                else
                {
                    Console.WriteLine(result.Text("count"));
                }
                return;
            }
            Output.Print(result.GetProperty("events"), parse.GetValue(global.Json),
                Output.Column("TIME", "eventTime"), Output.Column("TYPE", "eventType"), Output.Column("HOST", "host"),
                Output.Column("USER", "userName"), Output.Column("PROCESS", "processName"),
                ("DETAIL", e => First(e.Text("commandLine"), e.Text("filePath"), e.Text("dnsName"), Endpoint(e))),
                Output.Column("UNIQUE PID", "uniquePid"));
            if (!parse.GetValue(global.Json) && result.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean())
            {
                await Console.Error.WriteLineAsync($"more events match; showing the first {parse.GetValue(limit)} (use --limit)").ConfigureAwait(false);
            }
        });

        var uniquePid = new Argument<string>("unique-pid") { Description = "UniquePID of the process" };
        var tree = new Command("tree", "Show the process tree of a UniquePID: ancestors, descendants and their events") { uniquePid };
        tree.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var result = await client.GetAsync($"/api/v1/events/tree/{Uri.EscapeDataString(parse.GetValue(uniquePid)!)}", ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(result, Console.Out);
                return;
            }
            var root = new Tree(Markup.Escape($"process tree of {parse.GetValue(uniquePid)}"));
            IHasTreeNodes parent = root;
            foreach (var ancestor in result.GetProperty("ancestors").EnumerateArray())
            {
                parent = parent.AddNode(Markup.Escape(Describe(ancestor)));
            }
            if (result.TryGetProperty("process", out var process) && process.ValueKind == JsonValueKind.Object)
            {
                AddProcess(parent, process, highlight: true);
            }
            AnsiConsole.Write(root);
        });
        return new Command("events", "Hunt through stored telemetry") { search, tree };
    }

    private static void AddProcess(IHasTreeNodes parent, JsonElement process, bool highlight)
    {
        var label = Markup.Escape(Describe(process));
        var node = parent.AddNode(highlight ? $"[bold]{label}[/]" : label);
        foreach (var e in process.GetProperty("events").EnumerateArray())
        {
            if (e.Text("eventType") != "ProcessStart")
            {
                node.AddNode(Markup.Escape($"{e.Text("eventTime")} {e.Text("eventType")} {First(e.Text("filePath"), e.Text("dnsName"), Endpoint(e))}"));
            }
        }
        foreach (var child in process.GetProperty("children").EnumerateArray())
        {
            AddProcess(node, child, highlight: false);
        }
    }

    private static string Describe(JsonElement process)
    {
        var start = process.TryGetProperty("start", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
        return start.ValueKind == JsonValueKind.Object
            ? $"{start.Text("processName")} [{start.Text("pid")}] {start.Text("commandLine")}  ({process.Text("uniquePid")})"
            : process.Text("uniquePid");
    }

    private static string Endpoint(JsonElement e) =>
        e.Text("remoteIp").Length > 0 ? $"{e.Text("localIp")}:{e.Text("localPort")} -> {e.Text("remoteIp")}:{e.Text("remotePort")}"
        : e.Text("localPort").Length > 0 ? $"{e.Text("localIp")}:{e.Text("localPort")}" : "";

    private static string First(params string[] values) => values.FirstOrDefault(v => v.Length > 0) ?? "";

    private static DateTimeOffset? Time(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }
        return DateTimeOffset.UtcNow - Durations.Parse(text);
    }
}
