using System.CommandLine;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.Security;

namespace Osprey.Node;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The node's data directory", Required = true };
        var listen = new Option<string>("--listen") { Description = "Address and port to listen on", DefaultValueFactory = _ => "127.0.0.1:8443" };
        var role = new Option<NodeRole>("--role") { Description = "standalone, primary or secondary", DefaultValueFactory = _ => NodeRole.Standalone };

        var init = new Command("init", "Create a node: CA, TLS certificate, administrator account") { data, listen, role };
        init.SetAction(parse => Guard(() =>
        {
            var result = NodeInitializer.Initialize(parse.GetValue(data)!.FullName, parse.GetValue(listen)!, parse.GetValue(role), TimeProvider.System);
            Console.WriteLine($"Node initialised in {parse.GetValue(data)!.FullName}, listening on {result.Listen} once running.");
            Console.WriteLine($"pin: {result.Pin}");
            Console.WriteLine($"admin token: {result.AdminToken}");
            Console.WriteLine("Keep the token secret: it is shown only once.");
            return 0;
        }));

        var run = new Command("run", "Run the node") { data };
        run.SetAction(async (parse, cancellationToken) =>
        {
            WebApplication app;
            try
            {
                app = NodeHost.Build(parse.GetValue(data)!.FullName);
            }
            catch (NodeConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"osprey-node: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });

        var output = new Option<FileInfo>("--out") { Description = "Where to write the inventory", DefaultValueFactory = _ => new FileInfo("docs/data-inventory.md") };
        var inventory = new Command("inventory", "Write the data inventory generated from the schema") { output };
        inventory.SetAction(parse =>
        {
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            File.WriteAllText(file.FullName, Osprey.Contracts.Inventory.DataInventory.Generate());
            Console.WriteLine($"wrote {file.FullName}");
            return 0;
        });
        var schema = new Command("schema", "Schema tools") { inventory };

        var root = new RootCommand("osprey-node: the Osprey Central Node") { init, run, schema };
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    private static int Guard(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (NodeConfigurationException e)
        {
            Console.Error.WriteLine($"osprey-node: {e.Message}");
            return 2;
        }
    }
}
