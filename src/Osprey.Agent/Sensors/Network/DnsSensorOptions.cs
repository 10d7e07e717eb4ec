namespace Osprey.Agent.Sensors.Network;

/// <summary>Settings of the DNS sensor; <see cref="Validate"/> lists what is out of range.</summary>
public sealed record DnsSensorOptions
{
    /// <summary>A query with no response after this long is reported as unanswered.</summary>
    public int ResponseTimeoutMs { get; init; } = 5_000;

    /// <summary>Most queries waiting for their response; beyond it the oldest is dropped and the loss counted.</summary>
    public int MaxPendingQueries { get; init; } = 8_192;

    /// <summary>Kernel receive buffer of the capture socket: packets arriving while it is full are dropped (and counted).</summary>
    public int ReceiveBufferBytes { get; init; } = 4 << 20;

    /// <summary>
    /// Full /proc scans per second allowed to find the process behind a query's socket; the processes that sent
    /// recent queries are always tried first. Queries beyond the budget keep an empty process.
    /// </summary>
    public int MaxOwnerScansPerSecond { get; init; } = 20;

    public List<string> Validate()
    {
        var problems = new List<string>();
        if (ResponseTimeoutMs is < 100 or > 120_000)
        {
            problems.Add($"dns.responseTimeoutMs is {ResponseTimeoutMs}; it must be between 100 and 120000");
        }
        if (MaxPendingQueries is < 16 or > 1_048_576)
        {
            problems.Add($"dns.maxPendingQueries is {MaxPendingQueries}; it must be between 16 and 1048576");
        }
        if (ReceiveBufferBytes is < 65_536 or > 1 << 30)
        {
            problems.Add($"dns.receiveBufferBytes is {ReceiveBufferBytes}; it must be between 65536 and 1073741824");
        }
        if (MaxOwnerScansPerSecond is < 0 or > 1000)
        {
            problems.Add($"dns.maxOwnerScansPerSecond is {MaxOwnerScansPerSecond}; it must be between 0 and 1000");
        }
        return problems;
    }
}
