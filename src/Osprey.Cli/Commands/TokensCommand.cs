using System.CommandLine;

namespace Osprey.Cli.Commands;

/// <summary>osprey tokens create|list|revoke: agent enrollment tokens.</summary>
public static class TokensCommand
{
    public static Command Create(GlobalOptions global)
    {
        var ttl = new Option<string>("--ttl") { Description = "Lifetime, e.g. 30m, 24h, 7d", DefaultValueFactory = _ => "24h" };
        var uses = new Option<int>("--uses") { Description = "How many agents may enroll with it", DefaultValueFactory = _ => 1 };
        var create = new Command("create", "Create an enrollment token (shown once)") { ttl, uses };
        create.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var result = await client.PostAsync("/api/v1/tokens", new { ttlSeconds = (long)Durations.Parse(parse.GetValue(ttl)!).TotalSeconds, uses = parse.GetValue(uses) }, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(result, Console.Out);
            }
            else
            {
                Console.WriteLine(result.Text("token"));
                await Console.Error.WriteLineAsync($"id {result.Text("id")}, expires {result.Text("expiresAt")}, {result.Text("uses")} use(s)").ConfigureAwait(false);
            }
        });

        var list = new Command("list", "List enrollment tokens");
        list.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/tokens", ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("ID", "id"), Output.Column("CREATED", "createdAt"), Output.Column("EXPIRES", "expiresAt"),
                Output.Column("USES", "uses"), Output.Column("MAX", "maxUses"), Output.Column("REVOKED", "revoked"), Output.Column("BY", "createdBy"));
        });

        var id = new Argument<string>("id") { Description = "Token ID" };
        var revoke = new Command("revoke", "Revoke an enrollment token") { id };
        revoke.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            await client.DeleteAsync($"/api/v1/tokens/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct).ConfigureAwait(false);
            Console.WriteLine($"revoked {parse.GetValue(id)}");
        });
        return new Command("tokens", "Agent enrollment tokens") { create, list, revoke };
    }
}
