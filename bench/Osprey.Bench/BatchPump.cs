using Osprey.Contracts.V1;
using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>
/// Produces consecutive batches for one agent cheaply: a fixed set of schema-complete template events is
/// generated once, and each batch re-stamps them with new sequence numbers, IDs and times.
/// </summary>
public sealed class BatchPump
{
    private readonly List<Event> _templates;
    private ulong _next = 1;
    private long _batches;

    public BatchPump(string agentId, string hostName, int seed, int batchSize)
    {
        var generator = new SyntheticEvents(agentId, hostName, seed);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        _templates = [.. Enumerable.Range(0, batchSize).Select(i => generator.Next((ulong)i + 1, now))];
    }

    public ulong NextSequence => _next;

    public IReadOnlyList<Event> Next(long timeUs)
    {
        var stamp = _batches++;
        foreach (var e in _templates)
        {
            e.Sequence = _next++;
            e.EventId = Guid.NewGuid().ToString("D");
            e.TimeUs = timeUs++;
            if (e.Process is { } p)
            {
                // Vary the process identity per batch so hunting by UniquePID stays selective.
                p.UniquePid = string.Concat(p.UniquePid.AsSpan(0, 20), stamp.ToString("x12", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return _templates;
    }
}
