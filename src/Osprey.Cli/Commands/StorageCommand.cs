using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Osprey.Contracts.Storage;

namespace Osprey.Cli.Commands;

/// <summary>osprey storage list|get|put|delete: files in the node's content-addressed Storage.</summary>
public static class StorageCommand
{
    public static Command Create(GlobalOptions global)
    {
        var agent = new Option<string?>("--agent") { Description = "Only objects uploaded by this agent" };
        var task = new Option<string?>("--task") { Description = "Only objects of this task" };
        var kind = new Option<string?>("--kind") { Description = "Only objects of this kind (file, memory-dump, disk-image, upload, …)" };
        var limit = new Option<int>("--limit") { Description = "Most objects to show (newest first)", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List the objects in Storage") { agent, task, kind, limit };
        list.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var query = $"?limit={parse.GetValue(limit)}{Filter("agent", parse.GetValue(agent))}{Filter("task", parse.GetValue(task))}{Filter("kind", parse.GetValue(kind))}";
            Output.Print(await client.GetAsync($"/api/v1/storage{query}", ct).ConfigureAwait(false), parse.GetValue(global.Json),
                ("SHA256", o => o.Text("sha256")[..Math.Min(12, o.Text("sha256").Length)]), Output.Column("SIZE", "size"), Output.Column("NAME", "name"),
                Output.Column("KIND", "kind"), ("SOURCE", Source), ("STORED", o => o.GetProperty("storedAt").GetDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)));
        });

        var sha256 = new Argument<string>("sha256") { Description = "The object's SHA-256, or enough of its first digits to name one object" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write it ('-' for standard output; default: ./SHA256)" };
        var get = new Command("get", "Download an object and check its SHA-256") { sha256, output };
        get.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var key = await ResolveAsync(client, parse.GetValue(sha256)!, ct).ConfigureAwait(false);
            var target = parse.GetValue(output) ?? key;
            var size = await StorageTransfer.DownloadAsync(client, key, target, ct).ConfigureAwait(false);
            if (target != "-")
            {
                await Console.Error.WriteLineAsync($"wrote {size} bytes to {target}; SHA-256 verified").ConfigureAwait(false);
            }
        });

        var file = new Argument<FileInfo>("file") { Description = "The file to upload" };
        var name = new Option<string?>("--name") { Description = "Name to store it under (default: the file's name)" };
        var chunk = new Option<int>("--chunk-mb") { Description = "Chunk size in MiB", DefaultValueFactory = _ => UploadProtocol.DefaultChunkBytes >> 20 };
        var put = new Command("put", "Upload a file in chunks (run it again after an interruption to resume); prints its SHA-256") { file, name, chunk };
        put.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var source = parse.GetValue(file)!;
            if (parse.GetValue(chunk) is < 1 or > 64)
            {
                throw new CliException("--chunk-mb is between 1 and 64", 2);
            }
            var stored = await StorageTransfer.UploadAsync(client, source, parse.GetValue(name) ?? source.Name, parse.GetValue(chunk) << 20, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(stored, Console.Out);
            }
            else
            {
                Console.WriteLine(stored.Text("sha256"));
            }
        });

        var delete = new Command("delete", "Delete an object from Storage") { sha256 };
        delete.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var key = await ResolveAsync(client, parse.GetValue(sha256)!, ct).ConfigureAwait(false);
            await client.DeleteAsync($"/api/v1/storage/{key}", ct).ConfigureAwait(false);
            Console.WriteLine($"deleted {key}");
        });
        return new Command("storage", "Files in the node's Storage") { list, get, put, delete };
    }

    /// <summary>The full SHA-256 of the one object whose key starts with <paramref name="text"/> (at least 6 hex digits).</summary>
    private static async Task<string> ResolveAsync(ApiClient client, string text, CancellationToken cancellationToken)
    {
        if (UploadProtocol.NormalizeSha256(text) is { } full)
        {
            return full;
        }
        if (text.Length is < 6 or > 64 || !text.All(char.IsAsciiHexDigit))
        {
            throw new CliException($"'{text}' is not a SHA-256 or the start of one (6 to 64 hex digits)", 2);
        }
        var matches = (await client.GetAsync($"/api/v1/storage?sha256={text}&limit=2", cancellationToken).ConfigureAwait(false)).EnumerateArray().ToList();
        return matches.Count switch
        {
            1 => matches[0].Text("sha256"),
            0 => throw new CliException($"no object in Storage starts with {text}"),
            _ => throw new CliException($"more than one object starts with {text}; give more digits"),
        };
    }

    private static string Filter(string name, string? value) => value is null ? "" : $"&{name}={Uri.EscapeDataString(value)}";

    private static string Source(JsonElement o) =>
        o.Text("agentId") is { Length: > 0 } agentId
            ? o.Text("taskId") is { Length: > 0 } taskId ? $"agent {agentId} task {taskId}" : $"agent {agentId}"
            : $"operator {o.Text("uploadedBy")}";
}
