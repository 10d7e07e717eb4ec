using System.CommandLine;

namespace Osprey.Bench;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var agents = new Option<int>("--agents") { DefaultValueFactory = _ => 50, Description = "Simulated agents" };
        var seconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 60, Description = "How long to send" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 1024, Description = "Events per batch" };
        var ingest = new Command("ingest", "Events/s from simulated agents over mTLS into a real node, beside raw SQLite inserts") { agents, seconds, batch };
        ingest.SetAction((parse, ct) => IngestBenchmark.RunAsync(parse.GetValue(agents), parse.GetValue(seconds), parse.GetValue(batch), ct));

        var events = new Option<long>("--events") { DefaultValueFactory = _ => 10_000_000, Description = "Events to store" };
        var days = new Option<int>("--days") { DefaultValueFactory = _ => 10, Description = "Days the events span" };
        var data = new Option<string?>("--data") { Description = "Keep the store in this directory and reuse it on the next run" };
        var query = new Command("query", "Hunting query latency on a large store") { events, days, data };
        query.SetAction((parse, ct) => QueryBenchmark.RunAsync(parse.GetValue(events), parse.GetValue(days), parse.GetValue(data), ct));

        var server = new Option<string>("--server") { Required = true, Description = "Node URL" };
        var token = new Option<string>("--token") { Required = true, Description = "Enrollment token" };
        var pin = new Option<string>("--pin") { Required = true, Description = "Node CA pin" };
        var rate = new Option<int>("--rate") { DefaultValueFactory = _ => 50, Description = "Events per second" };
        var host = new Option<string>("--host") { DefaultValueFactory = _ => Environment.MachineName, Description = "Host name to report" };
        var simulate = new Command("simulate", "Enroll a simulated agent and stream synthetic events (Ctrl-C or --seconds stops it)") { server, token, pin, rate, seconds, host };
        simulate.SetAction((parse, ct) => Simulate.RunAsync(new Uri(parse.GetValue(server)!), parse.GetValue(token)!, parse.GetValue(pin)!, parse.GetValue(host)!, parse.GetValue(rate), parse.GetValue(seconds), ct));

        var file = new Option<string?>("--file") { Description = "File to hash (default: a new random file of --size-mb)" };
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 1024, Description = "Size of the generated file" };
        var hash = new Command("agent-hash", "The agent's MD5+SHA-256 throughput beside sha256sum on the same file") { file, size };
        hash.SetAction((parse, ct) => HashBenchmark.RunAsync(parse.GetValue(file), parse.GetValue(size), ct));

        var rates = new Option<string>("--rates") { DefaultValueFactory = _ => "500,2000,5000", Description = "Exec rates per second, comma-separated" };
        var stormSeconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 10, Description = "Seconds of storm per rate" };
        var withoutAuditd = new Option<bool>("--without-auditd") { Description = "Run the agent alone, without auditd on the same storm" };
        var storm = new Command("agent-exec-storm", "Share of short-lived processes the agent delivers complete (command line and hashes), beside auditd on the same storm") { rates, stormSeconds, withoutAuditd };
        storm.SetAction((parse, ct) => ExecStormBenchmark.RunAsync(ParseRates(parse.GetValue(rates)!), parse.GetValue(stormSeconds), !parse.GetValue(withoutAuditd), ct));

        var steadySeconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 60, Description = "Seconds of load" };
        var steady = new Command("agent-steady", "The agent's CPU and memory with every sensor under 50 execs/s, 20 files/s and 20 connections/s") { steadySeconds };
        steady.SetAction((parse, ct) => AgentSteadyBenchmark.RunAsync(parse.GetValue(steadySeconds), ct));

        var sigmaEvents = new Option<long>("--events") { DefaultValueFactory = _ => 5_000_000, Description = "Events to evaluate" };
        var sigmaRules = new Option<string?>("--rules") { Description = "Rule directory (default: sigma/linux of the shared corpora)" };
        var sigmaDistinct = new Option<int>("--distinct") { DefaultValueFactory = _ => 50_000, Description = "Distinct events the run cycles through" };
        var sigma = new Command("sigma", "Events/s through every compiled Linux Sigma rule on one thread") { sigmaEvents, sigmaDistinct, sigmaRules };
        sigma.SetAction((parse, ct) => SigmaBenchmark.RunAsync(parse.GetValue(sigmaEvents), parse.GetValue(sigmaDistinct), parse.GetValue(sigmaRules), ct));

        return await new RootCommand("Osprey benchmarks and the agent simulator")
        {
            ingest, query, simulate, hash, storm, steady, sigma,
            StorageUploadBenchmark.Command(), PreventionBenchmark.Command(), QuarantineBenchmark.Command(), AlertLatencyBenchmark.Command(),
            ForensicsBenchmark.Command(), IsolationBenchmark.Command(), IocRetroBenchmark.Command(), IocScanBenchmark.Command(), YaraBenchmark.Command(),
        }.Parse(args).InvokeAsync();
    }

    private static List<int> ParseRates(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture))];
}
