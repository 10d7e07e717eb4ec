using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Osprey.Agent.Configuration;
using Osprey.Agent.Outbox;
using Osprey.Agent.Uplink;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Hosting;

/// <summary>The osprey-agent command line: enroll, run, status.</summary>
public static class AgentCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Osprey endpoint agent");
        root.Subcommands.Add(Enroll());
        root.Subcommands.Add(Run());
        root.Subcommands.Add(Status());
        return root;
    }

    private static Option<string> StateOption() => new("--state")
    {
        Description = "State directory (settings, crypto container, outbox)",
        DefaultValueFactory = _ => StatePaths.DefaultDirectory,
    };

    private static Command Enroll()
    {
        var server = new Option<string>("--server") { Description = "Node URL(s), comma-separated, in failover order", Required = true };
        var token = new Option<string>("--token") { Description = "Enrollment token from 'osprey tokens create'", Required = true };
        var pin = new Option<string>("--pin") { Description = "SHA-256 pin of the node CA key (printed by osprey-node init)", Required = true };
        var proxy = new Option<string?>("--proxy") { Description = "HTTP CONNECT proxy URL" };
        var proxyUser = new Option<string?>("--proxy-user") { Description = "Proxy user name" };
        var proxyPasswordFile = new Option<string?>("--proxy-password-file") { Description = "File holding the proxy password" };
        var settings = new Option<string?>("--settings") { Description = "A JSON file of further agent settings (intervals, limits, sensors, exclusions)" };
        var state = StateOption();
        var command = new Command("enroll", "Enroll this host with a node and store its identity") { server, token, pin, proxy, proxyUser, proxyPasswordFile, settings, state };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!IsRoot())
            {
                return Fail("osprey-agent must run as root (it reads kernel interfaces and keeps root-only secrets)");
            }
            try
            {
                var options = result.GetValue(settings) is { } settingsFile ? AgentOptionsFile.Load(settingsFile, validate: false) : new AgentOptions();
                options.Servers = [.. result.GetValue(server)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                options.Pin = CertificatePin.Normalize(result.GetValue(pin)!);
                options.ProxyUrl = result.GetValue(proxy);
                options.ProxyUser = result.GetValue(proxyUser);
                var proxyPassword = result.GetValue(proxyPasswordFile) is { } file ? File.ReadAllText(file).TrimEnd('\r', '\n') : null;
                var paths = new StatePaths(result.GetValue(state)!);
                var agentId = await Enrollment.EnrollAsync(paths, options, result.GetValue(token)!, proxyPassword, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                Console.WriteLine(agentId);
                return 0;
            }
            catch (Exception e) when (e is AgentConfigurationException or NodeUnavailableException or NodeRefusedException or IOException or SecretKeyException)
            {
                return Fail($"enrollment failed: {e.Message}");
            }
        });
        return command;
    }

    private static Command Run()
    {
        var state = StateOption();
        var command = new Command("run", "Run the agent until stopped (SIGTERM or Ctrl+C)") { state };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!IsRoot())
            {
                return Fail("osprey-agent must run as root (it reads kernel interfaces and keeps root-only secrets)");
            }
            using var loggers = LoggerFactory.Create(builder => builder
                .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff "; o.UseUtcTimestamp = true; })
                .SetMinimumLevel(Environment.GetEnvironmentVariable("OSPREY_AGENT_LOG") is { } level && Enum.TryParse<LogLevel>(level, true, out var parsed) ? parsed : LogLevel.Information));
            using var stopping = new CancellationTokenSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stopping.Cancel(); });
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stopping.Cancel(); });
            try
            {
                return await new AgentRunner(new StatePaths(result.GetValue(state)!), loggers, TimeProvider.System).RunAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AgentConfigurationException or SecretKeyException or OutboxCorruptException)
            {
                return Fail($"the agent cannot start: {e.Message}");
            }
        });
        return command;
    }

    private static Command Status()
    {
        var state = StateOption();
        var json = new Option<bool>("--json") { Description = "Print the status as JSON" };
        var command = new Command("status", "Show connection state, certificate errors, queue and sensor counters") { state, json };
        command.SetAction(result =>
        {
            var paths = new StatePaths(result.GetValue(state)!);
            var status = StatusFile.Read(paths.Status);
            if (status is null)
            {
                return Fail($"no status in {paths.Status}: the agent has not run with this state directory");
            }
            var running = File.Exists(paths.RunMarker) && IsAlive(status.Pid);
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(status with { ConnectionState = running ? status.ConnectionState : "stopped" }, StatusFileJson.Default.StatusFile));
                return 0;
            }
            Console.WriteLine($"agent:        {status.AgentId} ({(running ? $"running, pid {status.Pid}" : "not running")})");
            Console.WriteLine($"connection:   {(running ? status.ConnectionState : "stopped")}{(status.NodeInUse is null ? "" : $" via {status.NodeInUse}")}");
            if (status.LastContactUs > 0)
            {
                Console.WriteLine($"last contact: {Time(status.LastContactUs)}");
            }
            if (status.LastError is not null)
            {
                Console.WriteLine($"last error:   {status.LastError}");
            }
            Console.WriteLine($"queue:        {status.QueueDepth} events, {status.QueueBytes / 1024} KiB{(status.QueueOldestUs > 0 ? $", oldest {Time(status.QueueOldestUs)}" : "")}");
            Console.WriteLine($"sequence:     last {status.LastSequence}, acknowledged {status.AckedSequence}, dropped {status.DroppedEvents}, excluded {status.ExcludedEvents}");
            foreach (var error in status.CertificateErrors)
            {
                Console.WriteLine($"certificate:  {Time(error.TimeUs)} {error.Side} {error.Node}: {error.Message}");
            }
            foreach (var sensor in status.Sensors)
            {
                Console.WriteLine($"sensor:       {sensor.Name,-16} {sensor.State,-12} events {sensor.Events}, lost {sensor.Lost}{(sensor.Message is null ? "" : $" ({sensor.Message})")}");
            }
            return 0;
        });
        return command;
    }

    private static string Time(long us) => DateTimeOffset.FromUnixTimeMilliseconds(us / 1000).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    private static bool IsRoot() => Interop.Libc.EffectiveUserId() == 0;

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"osprey-agent: {message}");
        return 1;
    }
}
