using System.CommandLine;
using Osprey.Cli.Commands;

namespace Osprey.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var global = new GlobalOptions();
        var root = new RootCommand("osprey: operate an Osprey Central Node")
        {
            TokensCommand.Create(global),
            AgentsCommand.Create(global),
            EventsCommand.Create(global),
            UsersCommand.Create(global),
            AuditCommand.Create(global),
            TasksCommand.Create(global),
            StorageCommand.Create(global),
            PreventionCommand.Create(global),
            QuarantineCommand.Create(global),
            RulesCommand.Create(global),
            AlertsCommand.Create(global),
            IncidentsCommand.Create(global),
            IsolationCommand.Isolate(global),
            IsolationCommand.Release(global),
        };
        global.AddTo(root);
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"osprey: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
