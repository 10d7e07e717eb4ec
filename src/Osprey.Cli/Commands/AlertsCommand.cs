using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Osprey.Cli.Commands;

/// <summary>osprey alerts list|show|assign|status|comment|vip.</summary>
public static class AlertsCommand
{
    public static Command Create(GlobalOptions global) =>
        new("alerts", "Alerts raised by detection")
        {
            ListCommand(global), ShowCommand(global), AssignCommand(global), StatusCommand(global), CommentCommand(global), VipCommand(global),
        };

    private static string AlertPath(string id, string? action = null) =>
        $"/api/v1/alerts/{Uri.EscapeDataString(id)}{(action is null ? "" : "/" + action)}";

    private static Command ListCommand(GlobalOptions global)
    {
        var status = new Option<string?>("--status") { Description = "Only alerts in this status (new, in-progress, closed)" };
        var agent = new Option<string?>("--agent") { Description = "Only this agent's alerts" };
        var rule = new Option<string?>("--rule") { Description = "Only alerts of this rule" };
        var since = new Option<string?>("--since") { Description = "Only alerts seen since this time (ISO 8601) or for this long (e.g. 1h)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 100)" };
        var list = new Command("list", "List alerts, most recently updated first") { status, agent, rule, since, limit };
        list.SetAction(async (parse, ct) =>
        {
            var from = parse.GetValue(since) is { } s ? Since(s).ToString("O", CultureInfo.InvariantCulture) : null;
            var query = RulesCommand.Query(("status", parse.GetValue(status)), ("agent", parse.GetValue(agent)), ("rule", parse.GetValue(rule)),
                ("since", from), ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)));
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/alerts" + query, ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("ALERT", "alertId"), Output.Column("STATUS", "status"), Output.Column("IMPORTANCE", "importance"), Output.Column("RULE", "ruleTitle"),
                Output.Column("HOST", "hostName"), Output.Column("USER", "userName"), Output.Column("COUNT", "count"), Output.Column("LAST SEEN", "lastSeen"),
                Output.Column("ASSIGNEE", "assignee"), ("VIP", a => a.Text("vip") == "true" ? "VIP" : ""));
        });
        return list;
    }

    private static DateTimeOffset Since(string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : DateTimeOffset.UtcNow - Durations.Parse(value);

    private static Command ShowCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Alert ID" };
        var show = new Command("show", "Show an alert with its linked events and comments") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var detail = await client.GetAsync(AlertPath(parse.GetValue(id)!), ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(detail, Console.Out);
                return;
            }
            Output.PrintObject(detail.GetProperty("alert"), json: false);
            Console.WriteLine();
            Console.WriteLine($"linked events ({detail.GetProperty("eventIds").GetArrayLength()}):");
            foreach (var e in detail.GetProperty("events").EnumerateArray())
            {
                var what = new[] { e.Text("commandLine"), e.Text("filePath"), e.Text("dnsName"), e.Text("remoteIp") }.FirstOrDefault(x => x.Length > 0) ?? "";
                Console.WriteLine($"  {e.Text("eventTime")} {e.Text("eventType")} {e.Text("eventId")} pid {e.Text("pid")} {what}");
            }
            var comments = detail.GetProperty("comments").EnumerateArray().ToList();
            if (comments.Count > 0)
            {
                Console.WriteLine("comments:");
                foreach (var c in comments)
                {
                    Console.WriteLine($"  {c.Text("time")} {c.Text("author")}: {c.Text("text")}");
                }
            }
        });
        return show;
    }

    private static Command AssignCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Alert ID" };
        var user = new Argument<string?>("user") { Description = "Operator to assign (omit to unassign)", Arity = ArgumentArity.ZeroOrOne };
        var assign = new Command("assign", "Assign an alert to an operator") { id, user };
        assign.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var alert = await client.PostAsync(AlertPath(parse.GetValue(id)!, "assign"), new { assignee = parse.GetValue(user) }, ct).ConfigureAwait(false);
            Print(parse, global, alert, $"assigned to {(alert.Text("assignee") is { Length: > 0 } a ? a : "nobody")}");
        });
        return assign;
    }

    private static Command StatusCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Alert ID" };
        var status = new Argument<string>("status") { Description = "in-progress or closed" };
        var command = new Command("status", "Move an alert to in-progress or closed") { id, status };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var alert = await client.PostAsync(AlertPath(parse.GetValue(id)!, "status"), new { status = parse.GetValue(status) }, ct).ConfigureAwait(false);
            Print(parse, global, alert, alert.Text("status"));
        });
        return command;
    }

    private static Command CommentCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Alert ID" };
        var text = new Argument<string>("text") { Description = "The comment" };
        var command = new Command("comment", "Add a comment to an alert's history") { id, text };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var alert = await client.PostAsync(AlertPath(parse.GetValue(id)!, "comment"), new { text = parse.GetValue(text) }, ct).ConfigureAwait(false);
            Print(parse, global, alert, "comment added");
        });
        return command;
    }

    private static Command VipCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Alert ID" };
        var off = new Option<bool>("--off") { Description = "Remove the VIP mark" };
        var command = new Command("vip", "Mark an alert VIP (hosts: osprey agents vip)") { id, off };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var alert = await client.PostAsync(AlertPath(parse.GetValue(id)!, "vip"), new { vip = !parse.GetValue(off) }, ct).ConfigureAwait(false);
            Print(parse, global, alert, alert.Text("vip") == "true" ? "VIP" : "not VIP");
        });
        return command;
    }

    private static void Print(ParseResult parse, GlobalOptions global, JsonElement alert, string what)
    {
        if (parse.GetValue(global.Json))
        {
            CliJson.Print(alert, Console.Out);
        }
        else
        {
            Console.WriteLine($"alert {alert.Text("alertId")} '{alert.Text("ruleTitle")}' on {alert.Text("hostName")}: {what}");
        }
    }
}
