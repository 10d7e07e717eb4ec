using System.Globalization;
using Osprey.Detection.OpenIoc;
using Osprey.Node.Alerts;
using Osprey.Node.Detection;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// IOC rules over the stored events: a retrospective pass that raises alerts, and hunting by an uploaded IOC file.
public static partial class OperatorEndpoints
{
    private const int MaxIocSearchEvents = 10_000;

    private static async Task<IResult> RetroIocAsync(
        HttpContext http, IocRetroRequest request, DetectionRuleSet rules, IocRetroScan retro, CancellationToken cancellationToken)
    {
        var ids = request.RuleIds is { Count: > 0 } given ? given : null;
        OperatorAuthentication.Audit(http, ids is null ? "enabled ioc rules" : string.Join(",", ids.Take(50)), $"from={request.From:O} to={request.To:O}");
        var documents = rules.IocDocuments(ids);
        if (ids is not null && ids.Except(documents.Select(d => d.Item2.RuleId), StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
        {
            return Problems.NotFound($"no compiled IOC rule with ID {string.Join(", ", missing)}");
        }
        var result = await retro.RunAsync(new IocRuleIndex(documents), ToUs(request.From), ToUs(request.To), raiseAlerts: true, 0, cancellationToken).ConfigureAwait(false);
        OperatorAuthentication.Audit(http, ids is null ? "enabled ioc rules" : string.Join(",", ids.Take(50)), string.Create(CultureInfo.InvariantCulture,
            $"candidates={result.Candidates} matched={result.Matched} alerts created={result.AlertsCreated} updated={result.AlertsUpdated}"));
        return Results.Ok(ToRetroResponse(result, documents.Count));
    }

    private static async Task<IResult> SearchIocAsync(HttpContext http, IocSearchRequest request, IocRetroScan retro, TimeProvider time, CancellationToken cancellationToken)
    {
        var name = string.IsNullOrWhiteSpace(request.Name) ? "uploaded.ioc" : request.Name.Trim();
        OperatorAuthentication.Audit(http, name, $"from={request.From:O} to={request.To:O}");
        var parsed = IocParser.Parse(request.Content ?? "", name);
        if (parsed.Document is not { } document)
        {
            return Problems.BadRequest(parsed.Message);
        }
        var rule = IocImport.ToStored(parsed, request.Content!, OperatorAuthentication.Current(http)!.Name, time.NowUs()).Rule;
        var limit = Math.Clamp(request.Limit ?? 1_000, 1, MaxIocSearchEvents);
        var result = await retro.RunAsync(new IocRuleIndex([(document, rule)]), ToUs(request.From), ToUs(request.To), raiseAlerts: false, limit, cancellationToken).ConfigureAwait(false);
        var warnings = new IocEvaluator(EventIocObjects.Telemetry).UnknownTermWarnings(document.Indicators.SelectMany(i => i.Items()));
        var found = result.Events.Select(m => new IocSearchEvent(
            m.Event.EventId, m.AgentId, m.Event.Type.ToString(), NodeClock.FromUs(m.Event.TimeUs), m.Event.Device?.HostName ?? "", m.IndicatorId, m.Branch,
            AlertHits.From(rule, m.Event, m.AgentId).Summary)).ToList();
        return Results.Ok(new IocSearchResponse(ToRetroResponse(result, 1), found, result.Matched > found.Count, [.. parsed.Warnings, .. warnings]));
    }

    private static IocRetroResponse ToRetroResponse(IocRetroResult result, int rules) => new(
        rules, result.Candidates, result.Matched, result.AlertsCreated, result.AlertsUpdated, (long)result.Elapsed.TotalMilliseconds,
        [.. result.ByIndicator.Select(i => new IocIndicatorCount(i.Key.RuleId, i.Key.IndicatorId, i.Value)).OrderByDescending(i => i.Events)]);

    private static long? ToUs(DateTimeOffset? time) => time is { } t ? NodeClock.ToUs(t) : null;
}
