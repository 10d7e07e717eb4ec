using System.CommandLine;

namespace Osprey.Cli;

/// <summary>Options every command accepts: where the node is, how to authenticate, and --json.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server") { Description = "Node URL, e.g. https://127.0.0.1:8443 (or OSPREY_URL)", Recursive = true };
    public Option<string?> Token { get; } = new("--token") { Description = "API token (or OSPREY_TOKEN)", Recursive = true };
    public Option<string?> Pin { get; } = new("--pin") { Description = "SHA-256 pin of the node CA (or OSPREY_PIN)", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print JSON instead of a table", Recursive = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(Token);
        command.Options.Add(Pin);
        command.Options.Add(Json);
    }

    public ApiClient Client(ParseResult parse) =>
        new(ConnectionSettings.Resolve(parse.GetValue(Server), parse.GetValue(Token), parse.GetValue(Pin)));
}
