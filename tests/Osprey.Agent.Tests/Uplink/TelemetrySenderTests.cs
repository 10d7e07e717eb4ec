using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Osprey.Agent.Outbox;
using Osprey.Agent.Uplink;
using Osprey.Contracts.Security;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.Agent.Tests.Uplink;

/// <summary>The telemetry sender against a real node: when a notify wakes it and when its batch interval does.</summary>
public sealed class TelemetrySenderTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private const int BatchMax = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Notify_SendsTheFirstEventAfterAQuietSpellAtOnce_AndAFullBatchAtOnce_ButNotAPartialBatchBeforeTheInterval()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        using var agent = await EnrollAsync(node);
        using var connector = new NodeConnector(new UplinkSettings([node.Url.ToString()], node.Pin, null, null, null), agent.Certificate, new ConnectionStatus(TimeProvider.System), TimeProvider.System);
        using var directory = new TempDirectory("osprey-sender");
        using var outbox = EventOutbox.Open(Path.Combine(directory.Path, "outbox.db"), new OutboxLimits(TimeSpan.FromDays(1), 1 << 30), TimeProvider.System);
        var sender = new TelemetrySender(outbox, connector, Interval, BatchMax, new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)), TimeProvider.System, NullLogger<TelemetrySender>.Instance);
        var events = new SyntheticEvents(agent.AgentId, "sender-host", seed: 7);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = sender.RunAsync(stop.Token);
        try
        {
            // The sender started with nothing to send; once its interval has passed, one event is news to send at once.
            await Task.Delay(Interval + TimeSpan.FromMilliseconds(300), Ct);
            var clock = Stopwatch.StartNew();
            Append(outbox, events, 1);
            sender.Notify();
            await WaitForAckAsync(sender, 1, TimeSpan.FromSeconds(2));
            var first = clock.Elapsed;

            // Fewer than a batch right after a send: no notify wakes it, they wait for the interval.
            Append(outbox, events, BatchMax - 1);
            sender.Notify();
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            var ackedWhilePartial = sender.AckedSequence;
            // One more makes a full batch: sent at once.
            clock.Restart();
            Append(outbox, events, 1);
            sender.Notify();
            await WaitForAckAsync(sender, 1 + BatchMax, TimeSpan.FromSeconds(2));
            var full = clock.Elapsed;

            Assert.True(first < TimeSpan.FromSeconds(2), $"first event acknowledged after {first.TotalMilliseconds} ms");
            Assert.Equal(1UL, ackedWhilePartial);
            Assert.True(full < TimeSpan.FromSeconds(2), $"full batch acknowledged after {full.TotalMilliseconds} ms");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    private static void Append(EventOutbox outbox, SyntheticEvents events, int count) =>
        outbox.Append([.. Enumerable.Range(0, count).Select(_ => events.Next(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000))]);

    private static async Task WaitForAckAsync(TelemetrySender sender, ulong sequence, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (sender.AckedSequence < sequence && deadline.Elapsed < timeout)
        {
            await Task.Delay(20, Ct);
        }
    }

    private static async Task<SimulatedAgent> EnrollAsync(NodeProcess node)
    {
        using var api = SimulatedAgent.CreateClient(node.Url, new PinnedServerValidator(node.Pin), null);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.AdminToken);
        using var created = await api.PostAsJsonAsync("/api/v1/tokens", new { ttlSeconds = 600, uses = 1 }, Ct);
        created.EnsureSuccessStatusCode();
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
        return await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "sender-host", Ct);
    }
}
