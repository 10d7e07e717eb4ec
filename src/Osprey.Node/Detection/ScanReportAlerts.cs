using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Osprey.Contracts.V1;
using Osprey.Node.Alerts;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// Alerts from IOC scans on endpoints: each detected indicator of an ioc-scan report raises (or updates) an alert of
/// technology ioc on the reporting agent. The alert takes the imported IOC rule with the same text (and its importance)
/// when there is one; a file given only to the task gets an ID from its SHA-256. A recurring ioc-scan task is thus a
/// scheduled auto-scan of its hosts that raises alerts.
/// </summary>
public static class ScanReportAlerts
{
    public static void Apply(INodeStore store, string agentId, TaskReport report, long nowUs)
    {
        if (report.ResultCase != TaskReport.ResultOneofCase.IocScan || report.IocScan.Indicators.All(i => !i.Detected))
        {
            return;
        }
        // The task as the node stored it (never what the report claims), and only for the agent it was meant for.
        if (store.GetTask(report.TaskId) is not { } task || task.AgentId != agentId
            || TaskDefinition.Parser.ParseFrom(task.Definition) is not { ParamsCase: TaskDefinition.ParamsOneofCase.IocScan } definition)
        {
            return;
        }
        var files = definition.IocScan.IocFiles;
        var rules = store.ListRules(new RuleFilter { Kind = IocImport.Kind, Limit = int.MaxValue })
            .GroupBy(r => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(r.Content))))
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var host = store.GetAgent(agentId)?.HostName ?? "";
        var hits = new List<DetectionHit>();
        foreach (var indicator in report.IocScan.Indicators.Where(i => i.Detected))
        {
            var file = files.FirstOrDefault(f => f.Name == indicator.IocFileName);
            var sha256 = file is null ? "" : file.Sha256.Length == 64 ? file.Sha256 : Convert.ToHexStringLower(SHA256.HashData(file.Content.Span));
            var rule = rules.GetValueOrDefault(sha256);
            hits.Add(new DetectionHit
            {
                RuleId = rule?.RuleId ?? "ioc-scan-" + (sha256.Length >= 24 ? sha256[..24] : "unknown"),
                RuleTitle = rule?.Title ?? Truncate(indicator.IocFileName, 256),
                Technology = IocImport.Kind,
                Importance = rule?.Importance ?? "medium",
                Confidence = rule?.Confidence ?? "medium",
                Techniques = rule?.Techniques ?? "",
                AgentId = agentId,
                HostName = host,
                UniquePid = indicator.Objects.Select(o => o.Process?.UniquePid).FirstOrDefault(u => !string.IsNullOrEmpty(u)) ?? "",
                // One link per indicator and run: a recurring scan that finds it again counts again.
                EventId = string.Create(CultureInfo.InvariantCulture, $"task:{report.TaskId}:{report.Run}:{Truncate(indicator.IndicatorId, 128)}"),
                TimeUs = report.CompletedUs > 0 ? report.CompletedUs : nowUs,
                Day = AlertHits.Day(report.CompletedUs > 0 ? report.CompletedUs : nowUs),
                Summary = Truncate($"IOC scan: indicator {indicator.IndicatorId} ({string.Join(" > ", indicator.MatchedBranch)}) on {string.Join("; ", indicator.Objects.Take(3).Select(Describe))}", 1024),
            });
        }
        store.RecordDetections(hits, nowUs);
    }

    private static string Describe(IocObject o) => o.ItemCase switch
    {
        IocObject.ItemOneofCase.File => o.File.FullPath,
        IocObject.ItemOneofCase.Process => $"{o.Process.Name} (pid {o.Process.Pid.ToString(CultureInfo.InvariantCulture)}) {o.Process.Arguments}",
        IocObject.ItemOneofCase.Port => $"{o.Port.Protocol} {o.Port.LocalIp}:{o.Port.LocalPort.ToString(CultureInfo.InvariantCulture)} -> {o.Port.RemoteIp}:{o.Port.RemotePort.ToString(CultureInfo.InvariantCulture)}",
        IocObject.ItemOneofCase.DnsEntry => o.DnsEntry.Host,
        IocObject.ItemOneofCase.User => o.User.UserName,
        IocObject.ItemOneofCase.ArpEntry => $"{o.ArpEntry.IpAddress} {o.ArpEntry.PhysicalAddress}",
        IocObject.ItemOneofCase.SystemInfo => o.SystemInfo.HostName,
        _ => "",
    };

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}
