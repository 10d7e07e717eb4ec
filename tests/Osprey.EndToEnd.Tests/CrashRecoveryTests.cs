using Osprey.Contracts.V1;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.EndToEnd.Tests;

public sealed class CrashRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NodeKilledDuringIngest_KeepsEveryAcknowledgedEvent()
    {
        await using var node = await NodeProcess.InitAsync(Ct);
        await node.StartAsync(Ct);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var token = await cli.RunAsync("tokens", "create", "--uses", "4");
        var agents = new List<SimulatedAgent>();
        for (var i = 0; i < 4; i++)
        {
            agents.Add(await SimulatedAgent.EnrollAsync(node.Url, token.Stdout.Trim(), node.Pin, $"crash-{i}", Ct));
        }
        var acked = new ulong[agents.Count];
        using var stop = new CancellationTokenSource();

        // Four agents stream batches until the node dies under them; each remembers its last acknowledgement.
        var senders = agents.Select((agent, index) => Task.Run(async () =>
        {
            var generator = new SyntheticEvents(agent.AgentId, $"crash-{index}", index);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            for (ulong first = 1; !stop.IsCancellationRequested && first < 1_000_000; first += 500)
            {
                var batch = Enumerable.Range(0, 500).Select(i => generator.Next(first + (ulong)i, now + (long)first + i)).ToList();
                try
                {
                    acked[index] = (await agent.SendAsync(batch, false, CancellationToken.None)).AckedSequence;
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToList();
        while (acked.Any(a => a < 5_000))
        {
            await Task.Delay(50, Ct);
        }
        node.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        await node.StartAsync(Ct);
        for (var i = 0; i < agents.Count; i++)
        {
            using var reconnected = SimulatedAgent.WithCertificate(node.Url, node.Pin, agents[i].AgentId, agents[i].Certificate);
            var ack = await reconnected.SendAsync(Array.Empty<Event>(), false, Ct);
            var count = await cli.RunAsync("events", "search", $"AgentId = \"{agents[i].AgentId}\" AND Sequence <= {acked[i]}", "--count");
            Assert.True(ack.AckedSequence >= acked[i], $"agent {i}: node acknowledges {ack.AckedSequence} after restart, had acknowledged {acked[i]}");
            Assert.Equal(acked[i].ToString(System.Globalization.CultureInfo.InvariantCulture), count.Stdout.Trim());
        }
        foreach (var agent in agents)
        {
            agent.Dispose();
        }
    }
}
