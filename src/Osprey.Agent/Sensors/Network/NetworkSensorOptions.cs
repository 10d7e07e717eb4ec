namespace Osprey.Agent.Sensors.Network;

/// <summary>Settings of the connection and listening-port sensor; <see cref="Validate"/> lists what is out of range.</summary>
public sealed record NetworkSensorOptions
{
    /// <summary>
    /// How often sockets are listed. A connection that opens and closes between two listings is not seen, so a
    /// shorter interval sees more short connections at the price of more CPU on hosts with many sockets.
    /// </summary>
    public int PollIntervalMs { get; init; } = 500;

    /// <summary>Also report connected UDP sockets (a resolver, NTP or QUIC client that called connect) as connections.</summary>
    public bool UdpConnections { get; init; } = true;

    /// <summary>Report the sockets that already exist when the sensor starts (otherwise they are the baseline).</summary>
    public bool ReportExistingAtStart { get; init; }

    /// <summary>Most sockets remembered between listings; beyond it new sockets are not reported and the loss is counted.</summary>
    public int MaxTrackedSockets { get; init; } = 262_144;

    /// <summary>
    /// Listings to wait for an established inbound connection the application has not accepted yet (it has no file,
    /// so no owner) before it is reported with its listener's process.
    /// </summary>
    public int AcceptGracePolls { get; init; } = 3;

    public List<string> Validate()
    {
        var problems = new List<string>();
        if (PollIntervalMs is < 10 or > 60_000)
        {
            problems.Add($"network.pollIntervalMs is {PollIntervalMs}; it must be between 10 and 60000");
        }
        if (MaxTrackedSockets is < 1024 or > 4_194_304)
        {
            problems.Add($"network.maxTrackedSockets is {MaxTrackedSockets}; it must be between 1024 and 4194304");
        }
        if (AcceptGracePolls is < 0 or > 100)
        {
            problems.Add($"network.acceptGracePolls is {AcceptGracePolls}; it must be between 0 and 100");
        }
        return problems;
    }
}
