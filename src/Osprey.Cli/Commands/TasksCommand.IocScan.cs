using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Osprey.Cli.Commands;

// tasks create ioc-scan: IOC files from disk (--ioc) and from stored rules (--rule-id) into the task's ioc_files, and
// the scan's outcome printed per indicator.
public static partial class TasksCommand
{
    private static (Option<string[]> Ioc, Option<string[]> RuleIds) IocScanOptions() =>
        (new Option<string[]>("--ioc") { Description = "ioc-scan: an OpenIOC file, or a directory of .ioc/.xml files (repeatable)" },
         new Option<string[]>("--rule-id") { Description = "ioc-scan: a stored IOC rule to scan for (repeatable; see rules list --kind ioc)" });

    /// <summary>Adds the files of --ioc and the rules of --rule-id to the parameters of an ioc-scan task; refuses them for other types.</summary>
    private static async Task AddIocFilesAsync(
        GlobalOptions global, ParseResult parse, string type, string[] paths, string[] ruleIds, JsonObject parameters, CancellationToken ct)
    {
        if (paths.Length == 0 && ruleIds.Length == 0)
        {
            return;
        }
        if (type != "ioc-scan")
        {
            throw new CliException("--ioc and --rule-id are for ioc-scan tasks");
        }
        var files = parameters["iocFiles"] as JsonArray ?? [];
        foreach (var path in paths)
        {
            // Bytes as they are: the document's own encoding declaration is for the agent's parser to honour.
            foreach (var (name, file) in RulesCommand.RuleFiles(path, RulesCommand.Extensions["ioc"]))
            {
                files.Add(new JsonObject { ["name"] = name, ["content"] = Convert.ToBase64String(await File.ReadAllBytesAsync(file, ct).ConfigureAwait(false)) });
            }
        }
        if (ruleIds.Length > 0)
        {
            using var client = global.Client(parse);
            foreach (var id in ruleIds)
            {
                var rule = await client.GetAsync($"/api/v1/rules/{Uri.EscapeDataString(id)}", ct).ConfigureAwait(false);
                if (rule.Text("kind") != "ioc")
                {
                    throw new CliException($"rule {id} is a {rule.Text("kind")} rule, not an IOC rule", 2);
                }
                if (rule.Text("status") != "compiled")
                {
                    throw new CliException($"rule {id} is {rule.Text("status")}: {rule.Text("reason")}", 2);
                }
                files.Add(new JsonObject { ["name"] = rule.Text("source"), ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(rule.Text("content"))) });
            }
        }
        parameters["iocFiles"] = files;
    }

    /// <summary>The scan's counts, then each indicator: detected or not, the branch that matched, the objects, the warnings.</summary>
    private static void PrintIocScan(JsonElement scan)
    {
        var indicators = scan.TryGetProperty("indicators", out var list) ? list.EnumerateArray().ToList() : [];
        var detected = indicators.Count(i => i.Text("detected") == "true");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {indicators.Count} indicators, {detected} detected; examined {Number(scan, "filesExamined")} files ({Number(scan, "filesHashed")} hashed), {Number(scan, "processesExamined")} processes, {Number(scan, "portsExamined")} sockets in {Number(scan, "durationMs")} ms"));
        foreach (var indicator in indicators.OrderByDescending(i => i.Text("detected") == "true"))
        {
            var title = indicator.Text("title");
            Console.WriteLine($"  {(indicator.Text("detected") == "true" ? "DETECTED" : "not detected"),-12} {indicator.Text("iocFileName")} indicator {indicator.Text("indicatorId")}{(title.Length > 0 ? $" \"{title}\"" : "")}");
            if (indicator.TryGetProperty("matchedBranch", out var branch))
            {
                Console.WriteLine($"    matched branch: {string.Join(" > ", branch.EnumerateArray().Select(b => b.GetString()))}");
            }
            foreach (var o in indicator.TryGetProperty("objects", out var objects) ? objects.EnumerateArray() : [])
            {
                Console.WriteLine($"    {Describe(o)}");
            }
            if (indicator.Text("objectsTruncated") == "true")
            {
                Console.WriteLine("    … more objects matched than were reported");
            }
            foreach (var warning in indicator.TryGetProperty("warnings", out var w) ? w.EnumerateArray() : [])
            {
                Console.WriteLine($"    warning: {warning.GetString()}");
            }
        }
        foreach (var warning in scan.TryGetProperty("warnings", out var warnings) ? warnings.EnumerateArray() : [])
        {
            Console.WriteLine($"  warning: {warning.GetString()}");
        }
    }

    private static string Number(JsonElement e, string property) => e.Text(property) is { Length: > 0 } n ? n.Trim('"') : "0";

    private static string Describe(JsonElement o)
    {
        if (o.TryGetProperty("process", out var p))
        {
            return $"process {p.Text("name")} pid {Number(p, "pid")} (parent {Number(p, "parentPid")}, user {p.Text("userName")}, {p.Text("path")}): {p.Text("arguments")}  [{p.Text("uniquePid")}]";
        }
        if (o.TryGetProperty("file", out var f))
        {
            return $"file {f.Text("fullPath")} ({Number(f, "size")} bytes, md5 {f.Text("md5")}, sha256 {f.Text("sha256")})";
        }
        if (o.TryGetProperty("port", out var s))
        {
            return $"port {s.Text("protocol")} {s.Text("localIp")}:{Number(s, "localPort")} -> {s.Text("remoteIp")}:{Number(s, "remotePort")}";
        }
        if (o.TryGetProperty("arpEntry", out var a))
        {
            return $"neighbour {a.Text("ipAddress")} at {a.Text("physicalAddress")} on {a.Text("interfaceName")}";
        }
        if (o.TryGetProperty("dnsEntry", out var d))
        {
            return $"dns {d.Text("host")} {d.Text("recordType")} {d.Text("recordData")}";
        }
        if (o.TryGetProperty("user", out var u))
        {
            return $"user {u.Text("userName")}";
        }
        if (o.TryGetProperty("systemInfo", out var i))
        {
            return $"system {i.Text("hostName")}{(i.Text("domain").Length > 0 ? "." + i.Text("domain") : "")} {i.Text("osName")} {i.Text("osVersion")}";
        }
        return o.GetRawText();
    }
}
