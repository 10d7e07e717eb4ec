using System.Globalization;
using System.Text.Json;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// The durable outbox with the real agent and node: events recorded while the node is down survive a SIGKILL of
/// the agent and arrive once, in order, without gaps when the node is back; a tiny size cap drops the oldest and
/// says so. The events are directory creations (the file sensor reports each at once, without hashing).
/// </summary>
public sealed class AgentOutboxTests
{
    private const int Directories = 50_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EventsRecordedWhileTheNodeIsDown_SurviveSigkill_AndArriveOnceInOrderWithoutGaps()
    {
        using var dir = new TempDirectory("osprey-e2e-outbox");
        await using var run = await AgentOnNode.StartAsync(["file"], $$"""
            "batchMaxEvents": 1024, "files": { "paths": ["{{dir.Path}}"] }
            """, Ct);
        await run.WaitForEventsAsync($"EventType = \"AgentLifecycle\" AND AgentId = \"{run.Agent.AgentId}\"");
        await run.Node.StopAsync();

        // The first half, with the agent killed part-way through recording it.
        var firstHalf = Task.Run(() => MakeDirectories(dir.Path, 0, Directories / 2), Ct);
        var beforeKill = await run.Agent.WaitForStatusAsync(s => s.GetProperty("lastSequence").GetInt64() >= 5_000, TimeSpan.FromSeconds(60), Ct);
        run.Agent.Kill();
        await firstHalf;

        run.Agent.Start();
        await run.Agent.WaitForStatusAsync(s => s.GetProperty("sensors").EnumerateArray().Any(x => x.GetProperty("state").GetString() == "Running"), TimeSpan.FromSeconds(30), Ct);
        MakeDirectories(dir.Path, Directories / 2, Directories);
        var recorded = await WaitForRecordingToSettleAsync(run.Agent);
        Assert.True(recorded.GetProperty("queueDepth").GetInt64() > Directories / 2, $"the outbox should hold the events the node has not had: {recorded}");

        await run.Node.StartAsync(Ct);
        var last = recorded.GetProperty("lastSequence").GetInt64();
        await WaitForCountAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\"", last);

        // Gapless and once each: the node keeps one row per sequence number, so as many rows as the highest number.
        Assert.Equal(0, await CountAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND Sequence > {last}"));
        Assert.True(last >= beforeKill.GetProperty("lastSequence").GetInt64(), "events committed before the kill were lost");

        // Each directory at most once (no event was re-recorded under a new number after the restart), in the
        // order it was made, and every one made after the restart present.
        var creates = await SearchAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND EventType = \"FileCreate\"", Directories + 1);
        var indexes = creates.Select(e => int.Parse(Path.GetFileName(e.GetProperty("filePath").GetString()!).AsSpan(1), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(indexes.Count, indexes.Distinct().Count());
        Assert.Equal(indexes.Order(), indexes);
        Assert.Equal(Enumerable.Range(Directories / 2, Directories / 2), indexes.Where(i => i >= Directories / 2));
        Assert.Contains(await SearchAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND EventType = \"AgentLifecycle\"", 10),
            e => e.GetProperty("details").GetString()!.Contains("AGENT_LIFECYCLE_KIND_ABNORMAL_STOP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithATinySizeCap_TheOldestAreDropped_AndADropRecordArrives()
    {
        using var dir = new TempDirectory("osprey-e2e-outbox-cap");
        await using var run = await AgentOnNode.StartAsync(["file"], $$"""
            "outboxMaxBytes": 1048576, "files": { "paths": ["{{dir.Path}}"] }
            """, Ct);
        await run.WaitForEventsAsync($"EventType = \"AgentLifecycle\" AND AgentId = \"{run.Agent.AgentId}\"");
        await run.Node.StopAsync();

        MakeDirectories(dir.Path, 0, 20_000);
        var recorded = await WaitForRecordingToSettleAsync(run.Agent);
        Assert.True(recorded.GetProperty("droppedEvents").GetInt64() > 0, $"status should count the dropped events: {recorded}");
        Assert.InRange(recorded.GetProperty("queueBytes").GetInt64(), 1, 1L << 20);

        await run.Node.StartAsync(Ct);
        var last = recorded.GetProperty("lastSequence").GetInt64();
        await WaitForCountAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND EventType = \"FileCreate\" AND Sequence > {last - 100}", 1, atLeast: true);
        var drops = await SearchAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND EventType = \"DataDropped\"", 10_000);
        Assert.NotEmpty(drops);

        // The drop records and the delivered events account for every sequence number exactly once.
        var ranges = drops.Select(AgentOnNode.Details).Select(d => (First: long.Parse(d.GetProperty("first_sequence").GetString()!, CultureInfo.InvariantCulture),
            Last: long.Parse(d.GetProperty("last_sequence").GetString()!, CultureInfo.InvariantCulture),
            Count: long.Parse(d.GetProperty("count").GetString()!, CultureInfo.InvariantCulture))).ToList();
        Assert.All(ranges, r => Assert.Equal(r.Last - r.First + 1, r.Count));
        Assert.Equal(recorded.GetProperty("droppedEvents").GetInt64(), ranges.Sum(r => r.Count));
        var delivered = (await SearchAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\"", 100_000)).Select(e => e.GetProperty("sequence").GetInt64()).ToHashSet();
        var dropped = ranges.SelectMany(r => LongRange(r.First, r.Last)).ToList();
        Assert.DoesNotContain(dropped, delivered.Contains);
        Assert.Equal(LongRange(1, delivered.Max()), delivered.Concat(dropped).Order());

        // The oldest went: the newest directory arrived, and the lowest delivered FileCreate is above the first drop.
        var newest = await SearchAsync(run.Cli, $"AgentId = \"{run.Agent.AgentId}\" AND FileName = \"d{19_999:D6}\"", 10);
        Assert.Single(newest);
        Assert.True(ranges.Min(r => r.First) < newest[0].GetProperty("sequence").GetInt64());
    }

    private static void MakeDirectories(string root, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            Directory.CreateDirectory(Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"d{i:D6}")));
        }
    }

    private static IEnumerable<long> LongRange(long first, long last)
    {
        for (var i = first; i <= last; i++)
        {
            yield return i;
        }
    }

    /// <summary>Waits until the agent's last sequence number stops moving (its sensors caught up), returning its status.</summary>
    private static async Task<JsonElement> WaitForRecordingToSettleAsync(AgentProcess agent)
    {
        var previous = -1L;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(2000, Ct);
            var status = await agent.StatusAsync(Ct);
            var last = status.GetProperty("lastSequence").GetInt64();
            if (last == previous)
            {
                return status;
            }
            previous = last;
        }
        throw new TimeoutException($"the agent kept recording for 120 s: {agent.Log}");
    }

    private static async Task<long> CountAsync(OspreyCli cli, string query)
    {
        var result = await cli.RunAsync("events", "search", query, "--count", "--from", "2000-01-01");
        Assert.True(result.ExitCode == 0, result.ToString());
        return long.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task WaitForCountAsync(OspreyCli cli, string query, long expected, bool atLeast = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        long count = 0;
        while (DateTime.UtcNow < deadline)
        {
            count = await CountAsync(cli, query);
            if (count == expected || (atLeast && count >= expected))
            {
                return;
            }
            Assert.True(count <= expected || atLeast, $"{count} events match {query}, more than the {expected} the agent recorded");
            await Task.Delay(1000, Ct);
        }
        Assert.Fail($"{count} of {expected} events matched {query} within 120 s");
    }

    private static async Task<List<JsonElement>> SearchAsync(OspreyCli cli, string query, int limit)
    {
        var result = await cli.RunAsync("events", "search", query, "--from", "2000-01-01", "--sort", "Sequence", "--asc",
            "--limit", limit.ToString(CultureInfo.InvariantCulture), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
