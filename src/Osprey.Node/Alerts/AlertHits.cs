using System.Globalization;
using Osprey.Contracts.V1;
using Osprey.Node.Storage;

namespace Osprey.Node.Alerts;

/// <summary>What an alert records of an event a rule matched: host, user, process, when, and a one-line summary.</summary>
public static class AlertHits
{
    private const long OneDayUs = 86_400_000_000L;

    public static DetectionHit From(StoredRule rule, Event e, string agentId) => new()
    {
        RuleId = rule.RuleId,
        RuleTitle = rule.Title,
        Technology = rule.Kind,
        Importance = rule.Importance,
        Confidence = rule.Confidence,
        Techniques = rule.Techniques,
        AgentId = agentId,
        HostName = e.Device?.HostName ?? "",
        UserName = e.User?.Name ?? "",
        UniquePid = e.Process?.UniquePid ?? "",
        EventId = e.EventId.Length > 0 ? e.EventId : $"{agentId}:{e.Sequence}",
        TimeUs = e.TimeUs,
        Day = Day(e.TimeUs),
        Summary = Summary(e),
    };

    /// <summary>A YARA rule (<paramref name="ruleName"/> of the stored file <paramref name="rule"/>) that matched an object in Storage, on the agent that uploaded it.</summary>
    public static DetectionHit FromObject(StoredRule rule, string ruleName, ObjectStorage.StoredObject stored, string hostName, long nowUs)
    {
        var summary = $"YARA rule {ruleName} ({rule.SourceName}) matched '{stored.Name}' in Storage ({stored.Kind}, {stored.Size} bytes, SHA-256 {stored.Sha256})";
        return new DetectionHit
        {
            RuleId = rule.RuleId,
            RuleTitle = ruleName,
            Technology = rule.Kind,
            Importance = rule.Importance,
            Confidence = rule.Confidence,
            Techniques = rule.Techniques,
            AgentId = stored.AgentId ?? "",
            HostName = hostName,
            // One object counts once per rule, however often it is uploaded.
            EventId = $"object:{stored.Sha256}:{ruleName}",
            TimeUs = nowUs,
            Day = Day(nowUs),
            Summary = summary.Length <= 1024 ? summary : summary[..1024],
        };
    }

    /// <summary>The UTC day of an event time: similar alerts group per day.</summary>
    public static string Day(long timeUs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timeUs / 1000, 0, 253_402_300_799_000L - OneDayUs / 1000)).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Summary(Event e)
    {
        var text = e.PayloadCase switch
        {
            Event.PayloadOneofCase.ProcessStart => e.Process?.CommandLine,
            Event.PayloadOneofCase.FileCreate => e.FileCreate.File?.Path,
            Event.PayloadOneofCase.FileModify => e.FileModify.File?.Path,
            Event.PayloadOneofCase.FileDelete => e.FileDelete.File?.Path,
            Event.PayloadOneofCase.FileRename => $"{e.FileRename.OldPath} -> {e.FileRename.File?.Path}",
            Event.PayloadOneofCase.NetworkConnection => $"{e.NetworkConnection.RemoteIp}:{e.NetworkConnection.RemotePort.ToString(CultureInfo.InvariantCulture)}",
            Event.PayloadOneofCase.DnsQuery => e.DnsQuery.Name,
            _ => null,
        };
        var summary = $"{e.PayloadCase}: {text ?? e.Process?.Name ?? ""}";
        return summary.Length <= 1024 ? summary : summary[..1024];
    }
}
