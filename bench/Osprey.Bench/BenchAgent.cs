using System.Diagnostics;
using System.Text.Json;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// A real osprey-agent for benchmarks: the tests' <see cref="AgentProcess"/>, run at its default log level
/// (Information) as deployed, so its CPU figures carry no debug logging, and watched through its status file.
/// </summary>
public static class BenchAgent
{
    private static readonly TimeSpan QuietLimit = TimeSpan.FromSeconds(30);

    /// <summary>Enrolls a new agent with <paramref name="settingsJson"/> (agent.json keys) and starts it.</summary>
    public static async Task<AgentProcess> StartAsync(NodeProcess node, string token, string settingsJson, CancellationToken cancellationToken)
    {
        var agent = new AgentProcess();
        var enroll = await agent.EnrollAsync(node.Url.ToString(), token, node.Pin, settingsJson, cancellationToken);
        if (enroll.ExitCode != 0)
        {
            await agent.DisposeAsync();
            throw new InvalidOperationException($"osprey-agent enroll failed: {enroll}");
        }
        agent.Start(logLevel: "Information");
        return agent;
    }

    /// <summary>
    /// Polls the status file until <paramref name="condition"/> holds (running the status command would start
    /// processes the agent then records, so polling would feed the measurement).
    /// </summary>
    public static async Task<JsonElement> WaitForStatusFileAsync(this AgentProcess agent, Func<JsonElement, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        JsonElement? last = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (agent.HasExited)
            {
                throw new InvalidOperationException($"osprey-agent exited with {agent.ExitCode}:\n{agent.Log}");
            }
            last = agent.ReadStatusFile();
            if (last is { } status && condition(status))
            {
                return status;
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"agent status never matched; last: {last}\nlog:\n{agent.Log}");
    }

    /// <summary>Waits until the agent is connected and no sensor is still starting.</summary>
    public static Task<JsonElement> WaitUntilReadyAsync(this AgentProcess agent, CancellationToken cancellationToken) =>
        agent.WaitForStatusFileAsync(s => s.GetProperty("connectionState").GetString() == "connected"
            && s.GetProperty("sensors").EnumerateArray().All(x => x.GetProperty("state").GetString() != "Starting"),
            TimeSpan.FromSeconds(60), cancellationToken);

    /// <summary>
    /// Waits until no new event was stored for <paramref name="quiet"/> (events still in a sensor's hands, such as a file
    /// create held for its hash, are stored by then) or for at most <see cref="QuietLimit"/>, then until the node has
    /// acknowledged every event stored up to that point. On a shared host other people's activity may never let the
    /// agent fall quiet; what it stores after the limit is not waited for.
    /// </summary>
    public static async Task<JsonElement> WaitUntilDeliveredAsync(this AgentProcess agent, TimeSpan quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var previous = ulong.MaxValue;
        var start = Stopwatch.GetTimestamp();
        var since = start;
        while (true)
        {
            var last = agent.ReadStatusFile() is { } status ? status.GetProperty("lastSequence").GetUInt64() : 0;
            if (last != previous)
            {
                (previous, since) = (last, Stopwatch.GetTimestamp());
            }
            if (Stopwatch.GetElapsedTime(since) >= quiet || Stopwatch.GetElapsedTime(start) >= QuietLimit)
            {
                break;
            }
            await Task.Delay(250, cancellationToken);
        }
        return await agent.WaitForStatusFileAsync(s => s.GetProperty("ackedSequence").GetUInt64() >= previous, timeout, cancellationToken);
    }
}
