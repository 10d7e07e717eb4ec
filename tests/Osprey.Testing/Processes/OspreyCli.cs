using Osprey.Testing.Paths;

namespace Osprey.Testing.Processes;

/// <summary>Runs the real `osprey` CLI against a node, with OSPREY_URL/TOKEN/PIN set.</summary>
public sealed class OspreyCli(Uri server, string token, string pin)
{
    public static string Executable => RepositoryPaths.Executable("Osprey.Cli", "osprey");

    public OspreyCli WithToken(string other) => new(server, other, pin);

    public Task<ProcessResult> RunAsync(params string[] arguments) =>
        CommandRunner.RunAsync(Executable, arguments, new Dictionary<string, string>
        {
            ["OSPREY_URL"] = server.ToString(),
            ["OSPREY_TOKEN"] = token,
            ["OSPREY_PIN"] = pin,
        });
}
