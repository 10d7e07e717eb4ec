using System.Text.Json.Serialization;

namespace Osprey.Agent.Configuration;

/// <summary>
/// The agent's settings (<c>agent.json</c> in the state directory). Secrets are never here: the private key,
/// client certificate and proxy password are in the crypto container. Every value is checked at start-up
/// by <see cref="Validate"/>.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>Node URLs, tried in order (failover).</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>SHA-256 of the node CA's public key (64 hex digits).</summary>
    public string Pin { get; set; } = "";

    /// <summary>HTTP CONNECT proxy URL, or null for a direct connection.</summary>
    public string? ProxyUrl { get; set; }

    public string? ProxyUser { get; set; }

    /// <summary>Sync (heartbeat and task pick-up) interval; the node holds a sync open up to this long (long-poll).</summary>
    public int SyncIntervalSeconds { get; set; } = 300;

    /// <summary>Telemetry is sent when this many milliseconds passed since the last batch…</summary>
    public int BatchIntervalMs { get; set; } = 30_000;

    /// <summary>…or when this many events are waiting, whichever comes first.</summary>
    public int BatchMaxEvents { get; set; } = 1024;

    public int OutboxMaxAgeDays { get; set; } = 21;

    public long OutboxMaxBytes { get; set; } = 1L << 30;

    /// <summary>First retry delay after a failed connection; doubles up to <see cref="BackoffMaxMs"/>, with jitter.</summary>
    public int BackoffInitialMs { get; set; } = 1_000;

    public int BackoffMaxMs { get; set; } = 300_000;

    /// <summary>Sensors to run by name; empty runs every sensor this host supports.</summary>
    public List<string> Sensors { get; set; } = [];

    public FileSensorSettings Files { get; set; } = new();

    public Sensors.Processes.ProcessSensorOptions Processes { get; set; } = new();

    public Sensors.Files.FileSensorOptions FileSensor { get; set; } = new();

    public Sensors.HostState.HostStateOptions HostState { get; set; } = new();

    public Sensors.Network.NetworkSensorOptions Network { get; set; } = new();

    public Sensors.Network.DnsSensorOptions Dns { get; set; } = new();

    public Prevention.PreventionOptions Prevention { get; set; } = new();

    /// <summary>Environment variables whose values are replaced by "[redacted]" in process events (glob patterns, case-insensitive).</summary>
    public List<string> EnvironmentRedaction { get; set; } =
        ["*PASSWORD*", "*PASSWD*", "*SECRET*", "*TOKEN*", "*_KEY", "*APIKEY*", "*CREDENTIAL*", "AWS_SESSION_TOKEN", "PGPASSWORD"];

    /// <summary>Largest file the agent hashes (executables, written files).</summary>
    public long HashMaxBytes { get; set; } = 64L << 20;

    public List<ExclusionRule> Exclusions { get; set; } = [];

    public WatchdogSettings Watchdog { get; set; } = new();

    public IsolationOptions Isolation { get; set; } = new();

    /// <summary>Problems with these settings, one sentence each; empty when they are usable.</summary>
    public List<string> Validate()
    {
        var problems = new List<string>();
        if (Servers.Count == 0)
        {
            problems.Add("no node address is configured (servers)");
        }
        foreach (var server in Servers)
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                problems.Add($"node address '{server}' is not an https:// URL");
            }
        }
        if (Pin.Length != 64 || !Pin.All(Uri.IsHexDigit))
        {
            problems.Add("the pin must be the 64 hexadecimal digits of the node CA's SHA-256 key pin");
        }
        if (ProxyUrl is not null && (!Uri.TryCreate(ProxyUrl, UriKind.Absolute, out var proxy) || proxy.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add($"proxy '{ProxyUrl}' is not an http:// URL");
        }
        Range(problems, "syncIntervalSeconds", SyncIntervalSeconds, 1, 3600);
        Range(problems, "batchIntervalMs", BatchIntervalMs, 10, 3_600_000);
        Range(problems, "batchMaxEvents", BatchMaxEvents, 1, 65_536);
        Range(problems, "outboxMaxAgeDays", OutboxMaxAgeDays, 1, 365);
        Range(problems, "outboxMaxBytes", OutboxMaxBytes, 1L << 20, 1L << 42);
        Range(problems, "backoffInitialMs", BackoffInitialMs, 10, 600_000);
        Range(problems, "backoffMaxMs", BackoffMaxMs, BackoffInitialMs, 3_600_000);
        Range(problems, "hashMaxBytes", HashMaxBytes, 0, 1L << 40);
        Range(problems, "watchdog.maxCpuPercent", Watchdog.MaxCpuPercent, 1, 400);
        Range(problems, "watchdog.maxRssMegabytes", Watchdog.MaxRssMegabytes, 32, 1 << 20);
        Range(problems, "watchdog.windowSeconds", Watchdog.WindowSeconds, 5, 3600);
        foreach (var path in Files.Paths.Concat(Files.ExcludedPaths))
        {
            if (!Path.IsPathRooted(path))
            {
                problems.Add($"file path '{path}' is not absolute");
            }
        }
        problems.AddRange(Processes.Validate());
        problems.AddRange(FileSensor.Validate());
        problems.AddRange(Network.Validate());
        problems.AddRange(Dns.Validate());
        problems.AddRange(Prevention.Validate());
        problems.AddRange(Isolation.Validate());
        foreach (var exclusion in Exclusions)
        {
            if (exclusion.Problem() is { } problem)
            {
                problems.Add(problem);
            }
        }
        return problems;
    }

    private static void Range(List<string> problems, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name} is {value}; it must be between {min} and {max}");
        }
    }
}

public sealed class FileSensorSettings
{
    /// <summary>Where file events are recorded; "/" means every local filesystem.</summary>
    public List<string> Paths { get; set; } = ["/"];

    /// <summary>Noisy or virtual trees that are never recorded.</summary>
    public List<string> ExcludedPaths { get; set; } = ["/proc", "/sys", "/dev", "/run", "/var/cache", "/var/lib/apt/lists", "/var/log/journal"];
}

/// <summary>
/// Network isolation: how long the agent waits to reach its node through a new ruleset before it rolls it back, and how
/// often, while isolated, it resolves node names again.
/// </summary>
public sealed class IsolationOptions
{
    public int VerifySeconds { get; set; } = 20;

    /// <summary>While isolated, node and proxy host names are resolved again this often; new addresses replace the old in the ruleset.</summary>
    public int ResolveSeconds { get; set; } = 60;

    /// <summary>
    /// Fault injection for tests only: the ruleset allows these addresses instead of the nodes' real ones, which cuts the
    /// agent off and must be rolled back. Empty in every deployment.
    /// </summary>
    public List<string> FaultNodeAddresses { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        if (VerifySeconds is < 1 or > 600)
        {
            yield return $"isolation.verifySeconds is {VerifySeconds}; it must be between 1 and 600";
        }
        if (ResolveSeconds is < 1 or > 86_400)
        {
            yield return $"isolation.resolveSeconds is {ResolveSeconds}; it must be between 1 and 86400";
        }
        foreach (var address in FaultNodeAddresses)
        {
            if (!System.Net.IPAddress.TryParse(address, out _))
            {
                yield return $"isolation.faultNodeAddresses: '{address}' is not an IP address";
            }
        }
    }
}

public sealed class WatchdogSettings
{
    /// <summary>CPU use (percent of one core, averaged over the window) above which the agent restarts.</summary>
    public int MaxCpuPercent { get; set; } = 50;

    public int MaxRssMegabytes { get; set; } = 512;

    public int WindowSeconds { get; set; } = 60;
}

/// <summary>Drops events of one type whose field matches: for example ProcessStart, ProcessPath, equals, /usr/bin/sleep.</summary>
public sealed class ExclusionRule
{
    /// <summary>Event type name as in hunting ("ProcessStart"), or "*" for every type.</summary>
    public string EventType { get; set; } = "";

    /// <summary>Hunting field name ("ProcessPath", "CommandLine", "RemotePort"…).</summary>
    public string Field { get; set; } = "";

    /// <summary>equals, not-equals, contains, starts-with, ends-with, matches (glob).</summary>
    [JsonPropertyName("operator")]
    public string Operator { get; set; } = "equals";

    public string Value { get; set; } = "";

    public static readonly string[] Operators = ["equals", "not-equals", "contains", "starts-with", "ends-with", "matches"];

    public string? Problem() =>
        EventType.Length == 0 || Field.Length == 0 ? "a telemetry exclusion needs an event type and a field"
        : !Operators.Contains(Operator) ? $"telemetry exclusion operator '{Operator}' is not one of {string.Join(", ", Operators)}"
        : null;
}
