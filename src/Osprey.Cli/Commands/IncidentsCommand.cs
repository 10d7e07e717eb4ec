using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Osprey.Cli.Commands;

/// <summary>osprey incidents list|show|create|add|remove|assign|status|comment.</summary>
public static class IncidentsCommand
{
    /// <summary>The most alerts one incident groups (the node refuses more).</summary>
    private const int MaxAlerts = 200;

    public static Command Create(GlobalOptions global) =>
        new("incidents", "Incidents: alerts grouped for one investigation (at most 200)")
        {
            ListCommand(global), ShowCommand(global), CreateCommand(global), AlertsCommand(global, add: true), AlertsCommand(global, add: false),
            AssignCommand(global), StatusCommand(global), CommentCommand(global),
        };

    private static string IncidentPath(string id, string? action = null) =>
        $"/api/v1/incidents/{Uri.EscapeDataString(id)}{(action is null ? "" : "/" + action)}";

    private static Command ListCommand(GlobalOptions global)
    {
        var status = new Option<string?>("--status") { Description = "Only incidents in this status (new, in-progress, closed)" };
        var assignee = new Option<string?>("--assignee") { Description = "Only incidents assigned to this operator" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 100)" };
        var list = new Command("list", "List incidents, most recently updated first") { status, assignee, limit };
        list.SetAction(async (parse, ct) =>
        {
            var query = RulesCommand.Query(("status", parse.GetValue(status)), ("assignee", parse.GetValue(assignee)), ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)));
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/incidents" + query, ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("INCIDENT", "incidentId"), Output.Column("STATUS", "status"), Output.Column("IMPORTANCE", "importance"), Output.Column("TITLE", "title"),
                Output.Column("ALERTS", "alertCount"), Output.Column("ASSIGNEE", "assignee"), ("VIP", i => i.Text("vip") == "true" ? "VIP" : ""),
                Output.Column("UPDATED", "updatedAt"));
        });
        return list;
    }

    private static Command ShowCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Incident ID" };
        var show = new Command("show", "Show an incident with its alerts and comments") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var detail = await client.GetAsync(IncidentPath(parse.GetValue(id)!), ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(detail, Console.Out);
                return;
            }
            Output.PrintObject(detail.GetProperty("incident"), json: false);
            Console.WriteLine();
            Output.Print(detail.GetProperty("alerts"), json: false,
                Output.Column("ALERT", "alertId"), Output.Column("STATUS", "status"), Output.Column("IMPORTANCE", "importance"), Output.Column("RULE", "ruleTitle"),
                Output.Column("HOST", "hostName"), Output.Column("COUNT", "count"), Output.Column("SUMMARY", "summary"));
            foreach (var c in detail.GetProperty("comments").EnumerateArray())
            {
                Console.WriteLine($"  {c.Text("time")} {c.Text("author")}: {c.Text("text")}");
            }
        });
        return show;
    }

    private static Command CreateCommand(GlobalOptions global)
    {
        var title = new Option<string>("--title") { Description = "What the incident is about", Required = true };
        var alerts = new Option<string[]>("--alert") { Description = "Alert ID to group; repeatable" };
        var agent = new Option<string?>("--agent") { Description = "Also group this agent's alerts that are not closed" };
        var rule = new Option<string?>("--rule") { Description = "Also group the open alerts of this rule (with --agent: of both)" };
        var create = new Command("create", "Group alerts into a new incident") { title, alerts, agent, rule };
        create.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var ids = new List<string>(parse.GetValue(alerts) ?? []);
            if (parse.GetValue(agent) is not null || parse.GetValue(rule) is not null)
            {
                foreach (var status in (string[])["new", "in-progress"])
                {
                    var query = RulesCommand.Query(("status", status), ("agent", parse.GetValue(agent)), ("rule", parse.GetValue(rule)),
                        ("limit", (MaxAlerts + 1).ToString(CultureInfo.InvariantCulture)));
                    var found = await client.GetAsync("/api/v1/alerts" + query, ct).ConfigureAwait(false);
                    ids.AddRange(found.EnumerateArray().Where(a => !a.TryGetProperty("incidentId", out var i) || i.ValueKind == JsonValueKind.Null).Select(a => a.Text("alertId")));
                }
            }
            ids = [.. ids.Distinct(StringComparer.Ordinal)];
            if (ids.Count == 0)
            {
                throw new CliException("no alerts to group: give --alert, or --agent/--rule matching open alerts not in an incident", 2);
            }
            var incident = await client.PostAsync("/api/v1/incidents", new { title = parse.GetValue(title), alertIds = ids }, ct).ConfigureAwait(false);
            Print(parse, global, incident, "created");
        });
        return create;
    }

    private static Command AlertsCommand(GlobalOptions global, bool add)
    {
        var id = new Argument<string>("id") { Description = "Incident ID" };
        var alerts = new Argument<string[]>("alerts") { Description = "Alert IDs", Arity = ArgumentArity.OneOrMore };
        var command = new Command(add ? "add" : "remove", add ? "Add alerts to an incident" : "Take alerts out of an incident") { id, alerts };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var ids = parse.GetValue(alerts);
            var incident = await client.PostAsync(IncidentPath(parse.GetValue(id)!, "alerts"), add ? new { add = ids } : (object)new { remove = ids }, ct).ConfigureAwait(false);
            Print(parse, global, incident, $"{incident.Text("alertCount")} alerts");
        });
        return command;
    }

    private static Command AssignCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Incident ID" };
        var user = new Argument<string?>("user") { Description = "Operator to assign (omit to unassign)", Arity = ArgumentArity.ZeroOrOne };
        var assign = new Command("assign", "Assign an incident to an operator") { id, user };
        assign.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var incident = await client.PostAsync(IncidentPath(parse.GetValue(id)!, "assign"), new { assignee = parse.GetValue(user) }, ct).ConfigureAwait(false);
            Print(parse, global, incident, $"assigned to {(incident.Text("assignee") is { Length: > 0 } a ? a : "nobody")}");
        });
        return assign;
    }

    private static Command StatusCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Incident ID" };
        var status = new Argument<string>("status") { Description = "in-progress or closed" };
        var keepAlerts = new Option<bool>("--keep-alerts-open") { Description = "Closing: leave the incident's alerts as they are (by default they are closed with it)" };
        var command = new Command("status", "Move an incident to in-progress or closed") { id, status, keepAlerts };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var body = new { status = parse.GetValue(status), closeAlerts = !parse.GetValue(keepAlerts) };
            var incident = await client.PostAsync(IncidentPath(parse.GetValue(id)!, "status"), body, ct).ConfigureAwait(false);
            Print(parse, global, incident, incident.Text("status"));
        });
        return command;
    }

    private static Command CommentCommand(GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "Incident ID" };
        var text = new Argument<string>("text") { Description = "The comment" };
        var command = new Command("comment", "Add a comment to an incident's history") { id, text };
        command.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var incident = await client.PostAsync(IncidentPath(parse.GetValue(id)!, "comment"), new { text = parse.GetValue(text) }, ct).ConfigureAwait(false);
            Print(parse, global, incident, "comment added");
        });
        return command;
    }

    private static void Print(ParseResult parse, GlobalOptions global, JsonElement incident, string what)
    {
        if (parse.GetValue(global.Json))
        {
            CliJson.Print(incident, Console.Out);
        }
        else
        {
            Console.WriteLine($"incident {incident.Text("incidentId")} '{incident.Text("title")}' ({incident.Text("importance")}, {incident.Text("alertCount")} alerts): {what}");
        }
    }
}
