using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Osprey.Cli.Commands;

/// <summary>osprey quarantine list|show|add|restore|delete|pull: files quarantined on agents (docs/quarantine.md).</summary>
public static class QuarantineCommand
{
    public static Command Create(GlobalOptions global)
    {
        var wait = new Option<bool>("--wait") { Description = "Wait for the task to end, showing progress", Recursive = true };
        var waitFor = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (default 10m)", Recursive = true };
        var command = new Command("quarantine", "Files quarantined on agents: list them, quarantine, restore, delete or pull a copy into Storage")
        {
            ListCommand(global), ShowCommand(global), AddCommand(global, wait, waitFor), RestoreCommand(global, wait, waitFor),
            DeleteCommand(global, wait, waitFor), PullCommand(global, wait, waitFor),
        };
        command.Options.Add(wait);
        command.Options.Add(waitFor);
        return command;
    }

    private static Command ListCommand(GlobalOptions global)
    {
        var agent = new Option<string?>("--agent") { Description = "Only this agent's entries" };
        var state = new Option<string?>("--state") { Description = "Only entries in this state: quarantined (default), restored, deleted" };
        var all = new Option<bool>("--all") { Description = "Entries in every state (restored and deleted ones too)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default 1000), newest first" };
        var list = new Command("list", "List quarantined files, from the node's index (no round trip to the agents)") { agent, state, all, limit };
        list.SetAction(async (parse, ct) =>
        {
            var query = string.Join("&", new[]
            {
                ("agent", parse.GetValue(agent)), ("state", parse.GetValue(state)), ("all", parse.GetValue(all) ? "true" : null),
                ("limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)),
            }.Where(q => q.Item2 is not null).Select(q => $"{q.Item1}={Uri.EscapeDataString(q.Item2!)}"));
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/quarantine" + (query.Length > 0 ? "?" + query : ""), ct).ConfigureAwait(false), parse.GetValue(global.Json),
                ("ID", e => e.Text("quarantineId")[..Math.Min(12, e.Text("quarantineId").Length)]), Output.Column("STATE", "state"),
                Output.Column("PATH", "originalPath"), Output.Column("SIZE", "size"), ("OWNER", e => $"{Name(e, "owner", "ownerId")}:{Name(e, "group", "groupId")}"),
                Output.Column("MODE", "mode"), ("QUARANTINED", e => e.GetProperty("quarantinedAt").GetDateTimeOffset().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
                Output.Column("AGENT", "agentId"));
        });
        return list;
    }

    private static Command ShowCommand(GlobalOptions global)
    {
        var (agent, id) = EntryArguments();
        var show = new Command("show", "Show one quarantine entry") { agent, id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.PrintObject(await client.GetAsync(await EntryPathAsync(client, parse, agent, id, ct).ConfigureAwait(false), ct).ConfigureAwait(false), parse.GetValue(global.Json));
        });
        return show;
    }

    private static Command AddCommand(GlobalOptions global, Option<bool> wait, Option<string?> waitFor)
    {
        var agent = new Argument<string>("agent") { Description = "Agent ID" };
        var path = new Argument<string>("path") { Description = "Absolute path of the file on the agent's host" };
        var keep = new Option<bool>("--keep-original") { Description = "Quarantine a copy and leave the file in place" };
        var sha256 = new Option<string?>("--sha256") { Description = "Only if the file's contents have this SHA-256" };
        var add = new Command("add", "Move a file into the agent's encrypted quarantine") { agent, path, keep, sha256 };
        add.SetAction((parse, ct) => RunAsync(global, parse, wait, waitFor, client => client.PostAsync("/api/v1/quarantine", new Dictionary<string, object?>
        {
            ["agents"] = new[] { parse.GetValue(agent) },
            ["path"] = parse.GetValue(path),
            ["keepOriginal"] = parse.GetValue(keep),
            ["sha256"] = parse.GetValue(sha256),
        }, ct), ct));
        return add;
    }

    private static Command RestoreCommand(GlobalOptions global, Option<bool> wait, Option<string?> waitFor)
    {
        var (agent, id) = EntryArguments();
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a file that exists where the entry is restored" };
        var destination = new Option<string?>("--destination") { Description = "Restore into this directory instead of the original path" };
        var restore = new Command("restore", "Put a quarantined file back with its original owner, permissions and times") { agent, id, overwrite, destination };
        restore.SetAction((parse, ct) => RunAsync(global, parse, wait, waitFor, async client => await client.PostAsync(await EntryPathAsync(client, parse, agent, id, ct).ConfigureAwait(false) + "/restore",
            new Dictionary<string, object?> { ["overwrite"] = parse.GetValue(overwrite), ["destination"] = parse.GetValue(destination) }, ct).ConfigureAwait(false), ct));
        return restore;
    }

    private static Command DeleteCommand(GlobalOptions global, Option<bool> wait, Option<string?> waitFor)
    {
        var (agent, id) = EntryArguments();
        var delete = new Command("delete", "Delete a quarantine entry for good") { agent, id };
        delete.SetAction((parse, ct) => RunAsync(global, parse, wait, waitFor, async client => await client.DeleteAsync(await EntryPathAsync(client, parse, agent, id, ct).ConfigureAwait(false), ct).ConfigureAwait(false), ct));
        return delete;
    }

    private static Command PullCommand(GlobalOptions global, Option<bool> wait, Option<string?> waitFor)
    {
        var (agent, id) = EntryArguments();
        var pull = new Command("pull", "Upload a decrypted copy of the entry into the node's Storage (then: osprey storage get SHA256)") { agent, id };
        pull.SetAction((parse, ct) => RunAsync(global, parse, wait, waitFor, async client => await client.PostAsync(await EntryPathAsync(client, parse, agent, id, ct).ConfigureAwait(false) + "/pull", null, ct).ConfigureAwait(false), ct));
        return pull;
    }

    /// <summary>Sends the request that creates the task, then prints it or waits for it like <c>tasks create</c>.</summary>
    private static async Task<int> RunAsync(
        GlobalOptions global, ParseResult parse, Option<bool> wait, Option<string?> waitFor, Func<ApiClient, Task<JsonElement>> send, CancellationToken ct)
    {
        using var client = global.Client(parse);
        var created = await send(client).ConfigureAwait(false);
        var limit = parse.GetValue(waitFor) is { } w ? Durations.Parse(w) : TimeSpan.FromMinutes(10);
        return await TasksCommand.ShowCreatedAsync(client, created, parse.GetValue(wait) ? limit : null, parse.GetValue(global.Json), ct).ConfigureAwait(false);
    }

    private static (Argument<string> Agent, Argument<string> Id) EntryArguments() =>
        (new Argument<string>("agent") { Description = "Agent ID" }, new Argument<string>("id") { Description = "Quarantine ID (from quarantine list), or its first digits (at least 6)" });

    /// <summary>The API path of the entry the arguments name; an ID may be shortened to a prefix of at least 6 digits that names one entry.</summary>
    private static async Task<string> EntryPathAsync(ApiClient client, ParseResult parse, Argument<string> agent, Argument<string> id, CancellationToken ct)
    {
        var agentId = parse.GetValue(agent)!;
        var text = parse.GetValue(id)!.ToLowerInvariant();
        if (text.Length is < 6 or > 32 || !text.All(char.IsAsciiHexDigit))
        {
            throw new CliException($"'{text}' is not a quarantine ID or the start of one (6 to 32 hex digits)", 2);
        }
        if (text.Length < 32)
        {
            var entries = await client.GetAsync($"/api/v1/quarantine?agent={Uri.EscapeDataString(agentId)}&all=true&limit=100000", ct).ConfigureAwait(false);
            var matches = entries.EnumerateArray().Select(e => e.Text("quarantineId")).Where(q => q.StartsWith(text, StringComparison.Ordinal)).ToList();
            text = matches.Count switch
            {
                1 => matches[0],
                0 => throw new CliException($"agent {agentId} has no quarantine entry starting with {text}"),
                _ => throw new CliException($"more than one of agent {agentId}'s quarantine entries starts with {text}; give more digits"),
            };
        }
        return $"/api/v1/quarantine/{Uri.EscapeDataString(agentId)}/{text}";
    }

    private static string Name(JsonElement entry, string name, string id) => entry.Text(name) is { Length: > 0 } text ? text : entry.Text(id);
}
