using System.CommandLine;

namespace Osprey.Cli.Commands;

/// <summary>osprey users add|list|role|token.</summary>
public static class UsersCommand
{
    public static Command Create(GlobalOptions global)
    {
        var name = new Argument<string>("name") { Description = "User name" };
        var role = new Option<string>("--role") { Description = "administrator, senior-security-officer, security-officer or security-auditor", Required = true };
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = "File holding the user's console password" };
        var add = new Command("add", "Add an operator; prints the user's first API token") { name, role, passwordFile };
        add.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            var password = parse.GetValue(passwordFile) is { } file ? (await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false)).TrimEnd('\r', '\n') : null;
            var result = await client.PostAsync("/api/v1/users", new { name = parse.GetValue(name), role = parse.GetValue(role), password }, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(result, Console.Out);
            }
            else
            {
                Console.WriteLine(result.Text("token"));
                await Console.Error.WriteLineAsync($"added {result.Text("name")} as {result.Text("role")}; the token above is shown only once").ConfigureAwait(false);
            }
        });

        var list = new Command("list", "List operators");
        list.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            Output.Print(await client.GetAsync("/api/v1/users", ct).ConfigureAwait(false), parse.GetValue(global.Json),
                Output.Column("NAME", "name"), Output.Column("ROLE", "role"), Output.Column("CREATED", "createdAt"), Output.Column("DISABLED", "disabled"));
        });

        var roleName = new Argument<string>("name") { Description = "User name" };
        var newRole = new Argument<string>("role") { Description = "New role" };
        var setRole = new Command("role", "Change an operator's role") { roleName, newRole };
        setRole.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            await client.PutAsync($"/api/v1/users/{Uri.EscapeDataString(parse.GetValue(roleName)!)}/role", new { role = parse.GetValue(newRole) }, ct).ConfigureAwait(false);
            Console.WriteLine($"{parse.GetValue(roleName)} is now {parse.GetValue(newRole)}");
        });

        var tokenName = new Argument<string>("name") { Description = "User name" };
        var ttl = new Option<string?>("--ttl") { Description = "Lifetime, e.g. 30d (default: no expiry)" };
        var token = new Command("token", "Issue another API token for an operator") { tokenName, ttl };
        token.SetAction(async (parse, ct) =>
        {
            using var client = global.Client(parse);
            long? seconds = parse.GetValue(ttl) is { } t ? (long)Durations.Parse(t).TotalSeconds : null;
            var result = await client.PostAsync($"/api/v1/users/{Uri.EscapeDataString(parse.GetValue(tokenName)!)}/tokens", new { ttlSeconds = seconds }, ct).ConfigureAwait(false);
            if (parse.GetValue(global.Json))
            {
                CliJson.Print(result, Console.Out);
            }
            else
            {
                Console.WriteLine(result.Text("token"));
            }
        });
        return new Command("users", "Operators and their roles") { add, list, setRole, token };
    }
}
