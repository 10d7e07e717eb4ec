using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>Streams synthetic telemetry from one enrolled simulated agent at a steady rate, for demos.</summary>
public static class Simulate
{
    public static async Task<int> RunAsync(Uri server, string token, string pin, string host, int rate, int seconds, CancellationToken cancellationToken)
    {
        using var agent = await SimulatedAgent.EnrollAsync(server, token, pin, host, cancellationToken);
        Console.WriteLine($"enrolled simulated agent {agent.AgentId} as {host}");
        var generator = new SyntheticEvents(agent.AgentId, host, Environment.TickCount);
        ulong sequence = 1;
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until && !cancellationToken.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            var batch = Enumerable.Range(0, Math.Max(1, rate)).Select(i => generator.Next(sequence++, now + i)).ToList();
            var ack = await agent.SendAsync(batch, gzip: true, cancellationToken);
            Console.WriteLine($"sent {batch.Count} events, node holds up to sequence {ack.AckedSequence}");
            try
            {
                await Task.Delay(1000, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return 0;
    }
}
