using System.CommandLine;

namespace Osprey.Cli.Commands;

/// <summary>osprey audit list.</summary>
public static class AuditCommand
{
    public static Command Create(GlobalOptions global)
    {
        var limit = new Option<int>("--limit") { Description = "Most entries to show (newest first)", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Show the audit log of operator actions") { limit };
        list.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync($"/api/v1/audit?limit={parse.GetValue(limit)}", ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("TIME", "time"), Output.Column("USER", "user"), Output.Column("ROLE", "role"), Output.Column("ACTION", "action"),
                Output.Column("TARGET", "target"), Output.Column("STATUS", "status"), Output.Column("DETAIL", "detail"));
        });
        return new Command("audit", "The audit log") { list };
    }
}
