using System.Diagnostics;
using Google.Protobuf;
using Osprey.Contracts.V1;
using Osprey.Node.Alerts;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// IOC rules run retrospectively over the events database: the rules' index selects candidate events by value (hash
/// columns through their indexes), each candidate is read back whole and evaluated like an event on the stream.
/// Matches become alerts (technology ioc) or, for a search by an uploaded IOC file, a list of events.
/// </summary>
public sealed class IocRetroScan(IEventStore events, INodeStore store, TimeProvider time)
{
    private const int RecordEvery = 1_000;

    public async Task<IocRetroResult> RunAsync(IocRuleIndex index, long? fromUs, long? toUs, bool raiseAlerts, int maxEvents, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var result = new IocRetroResult();
        if (index.IsEmpty)
        {
            return result;
        }
        var hits = new List<DetectionHit>();
        await foreach (var (agentId, body) in events.ScanAsync(index.Scan(fromUs, toUs), cancellationToken).ConfigureAwait(false))
        {
            result.Candidates++;
            Event e;
            try
            {
                e = Event.Parser.ParseFrom(body);
            }
            catch (InvalidProtocolBufferException)
            {
                result.Unreadable++;
                continue;
            }
            var matched = false;
            var rulesLinked = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (entry, outcome) in index.Match(EventIocObjects.From(e)))
            {
                matched = true;
                var key = (entry.Rule.RuleId, entry.Indicator.Id);
                result.ByIndicator[key] = result.ByIndicator.GetValueOrDefault(key) + 1;
                // One alert link per rule and event, whichever of its indicators matched.
                if (raiseAlerts && rulesLinked.Add(entry.Rule.RuleId))
                {
                    hits.Add(AlertHits.From(entry.Rule, e, agentId));
                }
                if (!raiseAlerts && result.Events.Count < maxEvents && (result.Events.Count == 0 || result.Events[^1].Event != e))
                {
                    result.Events.Add((agentId, e, entry.Indicator.Id, outcome.MatchedBranch));
                }
            }
            result.Matched += matched ? 1 : 0;
            if (hits.Count >= RecordEvery)
            {
                Record(hits, result);
            }
        }
        Record(hits, result);
        result.Elapsed = clock.Elapsed;
        return result;
    }

    private void Record(List<DetectionHit> hits, IocRetroResult result)
    {
        if (hits.Count == 0)
        {
            return;
        }
        foreach (var (change, _) in store.RecordDetections(hits, time.NowUs()))
        {
            result.AlertsCreated += change == AlertChange.Created ? 1 : 0;
            result.AlertsUpdated += change == AlertChange.Updated ? 1 : 0;
        }
        hits.Clear();
    }
}

/// <summary>What a retrospective IOC pass found.</summary>
public sealed class IocRetroResult
{
    /// <summary>Events the index selected and the evaluator examined.</summary>
    public long Candidates { get; set; }

    /// <summary>Events at least one indicator matched.</summary>
    public long Matched { get; set; }
    public long Unreadable { get; set; }
    public long AlertsCreated { get; set; }
    public long AlertsUpdated { get; set; }
    public Dictionary<(string RuleId, string IndicatorId), long> ByIndicator { get; } = [];

    /// <summary>For a search: the matching events (up to the limit) with the first indicator each matched.</summary>
    public List<(string AgentId, Event Event, string IndicatorId, IReadOnlyList<string> Branch)> Events { get; } = [];
    public TimeSpan Elapsed { get; set; }
}
