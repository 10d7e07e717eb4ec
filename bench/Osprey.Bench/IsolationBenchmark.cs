using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Response.Isolation;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Osprey.Testing.Network;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// isolation: how long the agent's isolation controller takes to isolate (plan, ruleset, one nft transaction, state
/// fsynced) and to release, with the real nft, inside a network namespace the benchmark creates and removes. The
/// measuring runs in a second process started inside the namespace (so nft is timed without ip netns exec around it),
/// and refuses to run anywhere else. The node probe answers at once: the round trip to a node is not measured.
/// </summary>
public static class IsolationBenchmark
{
    public static Command Command()
    {
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 100, Description = "Isolate/release rounds (at most 2000)" };
        var exclusions = new Option<int>("--exclusions") { DefaultValueFactory = _ => 16, Description = "Exclusions in the ruleset (at most 256)" };
        var inside = new Option<string?>("--inside") { Hidden = true, Description = "Measure inside this namespace (internal)" };
        var command = new Command("isolation", "Time to apply and to release network isolation (nft in a namespace of its own)") { rounds, exclusions, inside };
        command.SetAction((parse, ct) =>
        {
            var count = Math.Clamp(parse.GetValue(rounds), 1, 2000);
            var excluded = Math.Clamp(parse.GetValue(exclusions), 0, ExclusionRule.MaxPerTask);
            return parse.GetValue(inside) is { } name ? MeasureAsync(name, count, excluded, ct) : RunAsync(count, excluded, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(int rounds, int exclusions, CancellationToken cancellationToken)
    {
        await using var network = await TestNetwork.CreateAsync(0, cancellationToken);
        var result = await network.ExecAsync(
            Environment.ProcessPath!,
            ["isolation", "--inside", network.Namespace, "--rounds", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--exclusions", exclusions.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromMinutes(10), cancellationToken);
        Console.Write(result.Stdout);
        await Console.Error.WriteAsync(result.Stderr);
        return result.ExitCode;
    }

    private static async Task<int> MeasureAsync(string name, int rounds, int exclusions, CancellationToken cancellationToken)
    {
        var guard = new IsolationGuard(name);
        if (guard.Refusal() is { } refusal)
        {
            await Console.Error.WriteLineAsync($"isolation: {refusal}");
            return 1;
        }
        using var state = new TempDirectory("osprey-bench-isolation");
        var controller = new IsolationController(
            new IsolationStore(Path.Combine(state.Path, "isolation.pb")),
            new AllowList(["https://198.18.0.1:8443", "https://[2001:db8::1]:8443"], "http://198.18.0.2:3128", [], []),
            Nft.FromSystem(), guard, (_, _) => Task.CompletedTask, TimeSpan.FromSeconds(5), TimeProvider.System,
            NullLogger<IsolationController>.Instance);
        var parameters = new IsolateParams();
        for (var i = 0; i < exclusions; i++)
        {
            parameters.Exclusions.Add(ExclusionSyntax.Parse($"dir={(i % 2 == 0 ? "out" : "in")},proto=tcp,addr=10.{i / 256}.{i % 256}.0/24,rport=443,lport=1024-65535"));
        }
        var rules = ExclusionRule.From(parameters).Rules;
        var apply = new List<double>(rounds);
        var release = new List<double>(rounds);
        var clock = new Stopwatch();
        for (var round = 0; round < rounds; round++)
        {
            clock.Restart();
            var result = await controller.IsolateAsync(parameters, rules, "bench", cancellationToken);
            apply.Add(clock.Elapsed.TotalMilliseconds);
            if (result.State != IsolationState.On)
            {
                await Console.Error.WriteLineAsync($"isolation: round {round} did not isolate: {result.Error}");
                return 1;
            }
            clock.Restart();
            await controller.ReleaseAsync("bench", cancellationToken);
            release.Add(clock.Elapsed.TotalMilliseconds);
        }
        Figures.Print("isolation_rounds", rounds, "rounds");
        Figures.Print("isolation_exclusions", exclusions, "rules");
        Figures.Print("isolation_apply_p50", Percentile(apply, 0.50), "ms");
        Figures.Print("isolation_apply_p99", Percentile(apply, 0.99), "ms");
        Figures.Print("isolation_release_p50", Percentile(release, 0.50), "ms");
        Figures.Print("isolation_release_p99", Percentile(release, 0.99), "ms");
        return 0;
    }

    private static double Percentile(List<double> values, double share)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(share * sorted.Count) - 1)];
    }
}
