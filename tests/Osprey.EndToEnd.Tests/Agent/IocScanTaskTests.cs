using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Osprey.Testing.Paths;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// The IOC scan end to end: OpenIOC files given to the CLI (from disk and from an imported rule), run by a real agent as
/// root against the live system, checked against what the test planted there.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IocScanTaskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IocScan_FindsAPlantedFileByMd5_AProcessByNameAndArguments_AConnectionByRemotePort_AndNamesTheBranch()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var planted = new TempDirectory("osprey-ioc");
        using var iocs = new TempDirectory("osprey-iocfiles");
        var tag = Guid.NewGuid().ToString("N")[..10];

        // A file with contents nothing else has.
        var file = Path.Combine(planted.Path, "payload.bin");
        await File.WriteAllTextAsync(file, $"planted by the IOC scan test {tag}\n", Ct);
        var md5 = Convert.ToHexStringLower(MD5.HashData(await File.ReadAllBytesAsync(file, Ct)));
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(file, Ct)));

        // A process with a name and arguments of its own: a copy of sleep, its second duration a fraction no other process has.
        var name = "osprey-ioc-" + tag;
        var marker = "0." + Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture);
        var executable = Path.Combine(planted.Path, name);
        File.Copy("/bin/sleep", executable);
        File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        using var process = Process.Start(executable, ["300", marker]) ?? throw new InvalidOperationException("sleep copy did not start");

        // A connection on loopback to a port of our own.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, Ct);
        using var accepted = await listener.AcceptTcpClientAsync(Ct);
        var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        try
        {
            var otherMd5 = Convert.ToHexStringLower(MD5.HashData(Guid.NewGuid().ToByteArray()));
            await File.WriteAllTextAsync(Path.Combine(iocs.Path, "planted.ioc"), Ioc11("planted-doc", Top("OR", "top",
                Indicator("AND", "file-branch", Item("file-md5", "is", "FileItem/Md5sum", md5.ToUpperInvariant(), "md5"), Item("file-dir", "starts-with", "FileItem/FullPath", planted.Path + "/")),
                Indicator("AND", "process-branch", Item("proc-name", "is", "ProcessItem/name", name), Item("proc-args", "contains", "ProcessItem/arguments", " " + marker)),
                Indicator("AND", "port-branch", Item("port-remote", "is", "PortItem/remotePort", port.ToString(CultureInfo.InvariantCulture), "int"), Item("port-ip", "is", "PortItem/remoteIP", "127.0.0.0/8", "IP")),
                Item("decoy-md5", "is", "FileItem/Md5sum", otherMd5, "md5"))), Ct);
            // MD5 alone pins no directory: found through the task's file roots.
            await File.WriteAllTextAsync(Path.Combine(iocs.Path, "md5-only.ioc"), Ioc10("md5-only-doc", Top("OR", "md5-top", Item("md5-only", "is", "FileItem/Md5sum", md5, "md5"))), Ct);
            // An indicator that matches nothing here, imported as a rule and scanned for by its rule ID.
            var absent = Path.Combine(iocs.Path, "absent.xml");
            await File.WriteAllTextAsync(absent, Ioc10("absent-doc-" + tag, Top("OR", "absent-top",
                Item("absent-proc", "is", "ProcessItem/name", "no-such-process-" + tag),
                Item("absent-reg", "contains", "RegistryItem/Path", "CurrentVersion\\Run"))), Ct);
            var imported = await h.Cli.RunAsync("rules", "import", "ioc", absent);
            Assert.True(imported.ExitCode == 0, imported.ToString());
            Assert.Contains($"compiled 'absent-doc-{tag}' [ioc-absent-doc-{tag}]", imported.Stdout, StringComparison.Ordinal);
            Assert.Contains("RegistryItem/Path", imported.Stdout, StringComparison.Ordinal);

            var task = await AgentTaskTests.CreateAndWaitAsync(h, "ioc-scan",
                "--ioc", Path.Combine(iocs.Path, "planted.ioc"), "--ioc", Path.Combine(iocs.Path, "md5-only.ioc"), "--rule-id", $"ioc-absent-doc-{tag}",
                "--param", $"fileRoots=[\"{planted.Path}\"]");

            Assert.True(task.GetProperty("state").GetString() == "completed", task.GetRawText());
            var result = AgentTaskTests.Result(task, "iocScan");
            var indicators = result.GetProperty("indicators").EnumerateArray().ToDictionary(i => i.GetProperty("indicatorId").GetString()!);
            Assert.Equal(["absent-top", "md5-top", "top"], indicators.Keys.Order(StringComparer.Ordinal));

            var top = indicators["top"];
            Assert.True(top.GetProperty("detected").GetBoolean());
            Assert.Equal("planted.ioc", top.GetProperty("iocFileName").GetString());
            Assert.Equal(["top", "file-branch", "file-md5", "file-dir", "process-branch", "proc-name", "proc-args", "port-branch", "port-remote", "port-ip"], Strings(top, "matchedBranch"));
            var objects = top.GetProperty("objects").EnumerateArray().ToList();

            var found = Assert.Single(objects, o => o.TryGetProperty("file", out _)).GetProperty("file");
            Assert.Equal(file, found.GetProperty("fullPath").GetString());
            Assert.Equal(md5, found.GetProperty("md5").GetString());
            Assert.Equal(sha256, found.GetProperty("sha256").GetString());

            var proc = Assert.Single(objects, o => o.TryGetProperty("process", out _)).GetProperty("process");
            Assert.Equal(process.Id, proc.GetProperty("pid").GetInt32());
            Assert.Equal(name, proc.GetProperty("name").GetString());
            Assert.Equal(executable, proc.GetProperty("path").GetString());
            Assert.Equal($"{executable} 300 {marker}", proc.GetProperty("arguments").GetString());
            Assert.Equal(Environment.ProcessId, proc.GetProperty("parentPid").GetInt32());
            Assert.Equal("root", proc.GetProperty("userName").GetString());
            var bootId = (await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id", Ct)).Trim();
            Assert.Equal(Osprey.Contracts.Identity.UniquePid.Compute(h.Agent.AgentId!, bootId, process.Id, AgentTaskTests.StartTicks(process.Id)), proc.GetProperty("uniquePid").GetString());

            var socket = Assert.Single(objects, o => o.TryGetProperty("port", out _)).GetProperty("port");
            Assert.Equal(("TCP", "127.0.0.1", port, clientPort), (socket.GetProperty("protocol").GetString(), socket.GetProperty("remoteIp").GetString(), socket.GetProperty("remotePort").GetInt32(), socket.GetProperty("localPort").GetInt32()));

            var md5Only = indicators["md5-top"];
            Assert.True(md5Only.GetProperty("detected").GetBoolean());
            Assert.Equal(["md5-top", "md5-only"], Strings(md5Only, "matchedBranch"));
            Assert.Equal(file, Assert.Single(md5Only.GetProperty("objects").EnumerateArray()).GetProperty("file").GetProperty("fullPath").GetString());

            var notFound = indicators["absent-top"];
            Assert.False(notFound.TryGetProperty("detected", out var d) && d.GetBoolean());
            Assert.False(notFound.TryGetProperty("objects", out _));
            Assert.Contains(Strings(notFound, "warnings"), w => w.Contains("RegistryItem/Path", StringComparison.Ordinal));

            // uint64 is a string in protobuf JSON.
            Assert.True(long.Parse(result.GetProperty("filesExamined").GetString()!, CultureInfo.InvariantCulture) >= 2);
            Assert.True(result.GetProperty("processesExamined").GetInt32() > 1);
            Assert.True(result.GetProperty("portsExamined").GetInt32() >= 3);

            // The CLI's own view of the same task.
            var shown = await h.Cli.RunAsync("tasks", "show", task.GetProperty("taskId").GetString()!);
            Assert.True(shown.ExitCode == 0, shown.ToString());
            Assert.Contains("DETECTED     planted.ioc indicator top", shown.Stdout, StringComparison.Ordinal);
            Assert.Contains("matched branch: top > file-branch > file-md5 > file-dir > process-branch", shown.Stdout, StringComparison.Ordinal);
            Assert.Contains($"not detected {Path.GetFileName(absent)} indicator absent-top", shown.Stdout, StringComparison.Ordinal);
            Assert.Contains($"file {file} (", shown.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task IocScan_WithAnUnparsableFile_IsRefusedByTheNode_AndNothingIsCreated()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var iocs = new TempDirectory("osprey-iocfiles");
        var broken = Path.Combine(iocs.Path, "broken.ioc");
        await File.WriteAllTextAsync(broken, Ioc11("broken", Top("OR", "t", Item("i", "resembles", "ProcessItem/name", "x"))), Ct);

        var refused = await h.Cli.RunAsync("tasks", "create", "ioc-scan", "--agent", h.Agent.AgentId!, "--ioc", broken);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("condition 'resembles'", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
        var list = await h.Cli.RunAsync("tasks", "list", "--type", "ioc-scan", "--json");
        Assert.Equal(0, JsonDocument.Parse(list.Stdout).RootElement.GetArrayLength());
    }

    private static List<string> Strings(JsonElement e, string property) =>
        e.TryGetProperty(property, out var list) ? [.. list.EnumerateArray().Select(x => x.GetString()!)] : [];

    private static string Item(string id, string condition, string search, string content, string type = "string") =>
        $"""<IndicatorItem id="{id}" condition="{condition}"><Context document="{search.Split('/')[0]}" search="{search}" type="mir"/><Content type="{type}">{System.Security.SecurityElement.Escape(content)}</Content></IndicatorItem>""";

    private static string Indicator(string op, string id, params string[] children) => $"""<Indicator operator="{op}" id="{id}">{string.Concat(children)}</Indicator>""";

    private static string Top(string op, string id, params string[] children) => Indicator(op, id, children);

    private static string Ioc11(string id, string indicator) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="{id}" last-modified="2026-01-01T00:00:00Z" published-date="0001-01-01T00:00:00">
          <metadata><short_description>{id}</short_description><authored_date>2026-01-01T00:00:00Z</authored_date></metadata>
          <criteria>{indicator}</criteria>
        </OpenIOC>
        """;

    private static string Ioc10(string id, string indicator) => $"""
        <?xml version="1.0" encoding="us-ascii"?>
        <ioc xmlns="http://schemas.mandiant.com/2010/ioc" id="{id}" last-modified="2026-01-01T00:00:00">
          <short_description>{id}</short_description>
          <definition>{indicator}</definition>
        </ioc>
        """;
}
