using System.CommandLine;

namespace Osprey.Cli.Commands;

/// <summary>osprey agents list|show|revoke.</summary>
public static class AgentsCommand
{
    public static Command Create(GlobalOptions global)
    {
        var list = new Command("list", "List enrolled agents");
        list.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/agents", ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("AGENT", "agentId"), Output.Column("HOST", "hostName"), Output.Column("OS", "osName"),
                Output.Column("LAST SEEN", "lastSeen"), Output.Column("QUEUE", "queueDepth"), Output.Column("ACKED", "ackedSequence"),
                Output.Column("ISOLATION", "isolation"), Output.Column("REVOKED", "revoked"));
        });

        var id = new Argument<string>("id") { Description = "Agent ID" };
        var show = new Command("show", "Show one agent") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.PrintObject(await client.GetAsync($"/api/v1/agents/{Uri.EscapeDataString(parse.GetValue(id)!)}", ct).ConfigureAwait(false), parse.GetValue(global.Json));
        });

        var revokeId = new Argument<string>("id") { Description = "Agent ID" };
        var revoke = new Command("revoke", "Revoke an agent: its certificate is refused from now on") { revokeId };
        revoke.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            await client.PostAsync($"/api/v1/agents/{Uri.EscapeDataString(parse.GetValue(revokeId)!)}/revoke", null, ct).ConfigureAwait(false);
            Console.WriteLine($"revoked {parse.GetValue(revokeId)}");
        });

        var vipId = new Argument<string>("id") { Description = "Agent ID" };
        var vipOff = new Option<bool>("--off") { Description = "Remove the VIP mark" };
        var vip = new Command("vip", "Mark a host VIP: its new and open alerts carry the mark") { vipId, vipOff };
        vip.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            await client.PostAsync($"/api/v1/agents/{Uri.EscapeDataString(parse.GetValue(vipId)!)}/vip", new { vip = !parse.GetValue(vipOff) }, ct).ConfigureAwait(false);
            Console.WriteLine($"{parse.GetValue(vipId)}: {(parse.GetValue(vipOff) ? "not VIP" : "VIP")}");
        });
        return new Command("agents", "Enrolled agents") { list, show, revoke, vip };
    }
}
