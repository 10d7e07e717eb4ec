using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Osprey.Testing.Network;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>Real activity on this host, recorded by the real agent, found on the real node with the CLI.</summary>
public sealed class AgentTelemetryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AProcessStartedWithKnownArguments_ArrivesWithItsHashCommandLineParentAndExit()
    {
        await using var run = await AgentOnNode.StartAsync(["process"], null, Ct);

        var marker = "osprey-e2e-" + Guid.NewGuid().ToString("N")[..8];
        // Alive for half a second, so the exec is read from /proc even on a loaded CI machine (the exec
        // storm benchmark measures capture of processes that live for no time at all).
        using (var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.5; exit 7", marker]))!)
        {
            await child.WaitForExitAsync(Ct);
        }

        // The CLI's own search command line holds the marker too: keep the shell's start.
        var starts = await run.WaitForEventsAsync($"EventType = \"ProcessStart\" AND CommandLine CONTAINS \"{marker}\" AND CommandLine CONTAINS \"exit 7\"");
        var start = Assert.Single(starts, e => e.GetProperty("commandLine").GetString()!.StartsWith("/bin/sh", StringComparison.Ordinal));
        Assert.Equal($"/bin/sh -c \"sleep 0.5; exit 7\" {marker}", start.GetProperty("commandLine").GetString());
        var exe = start.GetProperty("processPath").GetString()!;
        Assert.Equal(await Sha256SumAsync(exe), start.GetProperty("sha256").GetString());
        Assert.Equal(run.OwnUniquePid(), start.GetProperty("parentUniquePid").GetString());

        var uniquePid = start.GetProperty("uniquePid").GetString();
        var stops = await run.WaitForEventsAsync($"EventType = \"ProcessStop\" AND UniquePid = \"{uniquePid}\"");
        Assert.Equal(7, AgentOnNode.Details(Assert.Single(stops)).GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task CreateModifyRenameDelete_ArriveAsFourEvents_WithPathsHashesAndTheActingProcess()
    {
        using var dir = new TempDirectory("osprey-e2e-files");
        await using var run = await AgentOnNode.StartAsync(["file"], $$"""
            "files": { "paths": ["{{dir.Path}}"] }
            """, Ct);
        var first = Path.Combine(dir.Path, "report.txt");
        var second = Path.Combine(dir.Path, "report-renamed.txt");

        // Pauses longer than the sensor's coalescing window, so each step is an event of its own.
        await File.WriteAllTextAsync(first, "first line\n", Ct);
        var createdHash = await Sha256SumAsync(first);
        await Task.Delay(1500, Ct);
        await File.AppendAllTextAsync(first, "second line\n", Ct);
        var modifiedHash = await Sha256SumAsync(first);
        var modifiedMd5 = await SumAsync("md5sum", first);
        await Task.Delay(1500, Ct);
        File.Move(first, second);
        await Task.Delay(1500, Ct);
        File.Delete(second);

        var events = await run.WaitForEventsAsync($"FilePath STARTS \"{dir.Path}/\"", 4);
        Assert.Equal(["FileCreate", "FileModify", "FileRename", "FileDelete"], events.OrderBy(e => e.GetProperty("sequence").GetInt64()).Select(e => e.GetProperty("eventType").GetString()));
        var byType = events.ToDictionary(e => e.GetProperty("eventType").GetString()!);

        Assert.Equal(first, byType["FileCreate"].GetProperty("filePath").GetString());
        Assert.Equal(createdHash, byType["FileCreate"].GetProperty("sha256").GetString());
        Assert.Equal(first, byType["FileModify"].GetProperty("filePath").GetString());
        Assert.Equal(modifiedHash, byType["FileModify"].GetProperty("sha256").GetString());
        Assert.Equal(modifiedMd5, byType["FileModify"].GetProperty("md5").GetString());
        Assert.Equal(second, byType["FileRename"].GetProperty("filePath").GetString());
        Assert.Equal(first, AgentOnNode.Details(byType["FileRename"]).GetProperty("old_path").GetString());
        Assert.Equal(second, byType["FileDelete"].GetProperty("filePath").GetString());

        // The test process itself made every change.
        var self = run.OwnUniquePid();
        Assert.All(events, e =>
        {
            Assert.Equal(self, e.GetProperty("uniquePid").GetString());
            Assert.Equal(Environment.ProcessId, e.GetProperty("pid").GetInt64());
            Assert.Equal(Environment.ProcessPath, e.GetProperty("processPath").GetString());
        });
        var owner = AgentOnNode.Details(byType["FileCreate"]).GetProperty("metadata").GetProperty("owner");
        Assert.Equal("root", owner.GetProperty("name").GetString());
    }

    [Fact]
    public async Task AListeningSocketAndALoopbackConnection_ArriveWithPortsDirectionsAndOwner()
    {
        await using var run = await AgentOnNode.StartAsync(["network"], null, Ct);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var listen = Assert.Single(await run.WaitForEventsAsync($"EventType = \"PortListen\" AND LocalPort = {port}"));
            Assert.Equal("127.0.0.1", listen.GetProperty("localIp").GetString());
            Assert.Equal("tcp", listen.GetProperty("protocol").GetString());
            Assert.Equal(run.OwnUniquePid(), listen.GetProperty("uniquePid").GetString());

            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, Ct);
            using var accepted = await listener.AcceptTcpClientAsync(Ct);
            var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

            var outbound = Assert.Single(await run.WaitForEventsAsync($"EventType = \"NetworkConnection\" AND RemotePort = {port} AND LocalPort = {clientPort}"));
            Assert.Equal("DIRECTION_OUTBOUND", AgentOnNode.Details(outbound).GetProperty("direction").GetString());
            Assert.Equal("127.0.0.1", outbound.GetProperty("remoteIp").GetString());
            Assert.Equal(Environment.ProcessId, outbound.GetProperty("pid").GetInt64());
            var inbound = Assert.Single(await run.WaitForEventsAsync($"EventType = \"NetworkConnection\" AND LocalPort = {port} AND RemotePort = {clientPort}"));
            Assert.Equal("DIRECTION_INBOUND", AgentOnNode.Details(inbound).GetProperty("direction").GetString());
            Assert.Equal(run.OwnUniquePid(), inbound.GetProperty("uniquePid").GetString());
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task DnsQueriesToALoopbackResolver_OverUdpAndTcp_ArriveWithTheirAnswers()
    {
        await using var resolver = LoopbackDnsServer.Start();
        await using var run = await AgentOnNode.StartAsync(["dns"], null, Ct);
        var marker = Guid.NewGuid().ToString("N")[..8];
        var udpName = $"udp-{marker}.osprey.example";
        var tcpName = $"tcp-{marker}.osprey.example";

        // The sensor finds a query's process through its socket, so the UDP socket stays open until the event is in
        // (a socket closed before the agent looks is reported without a process).
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        await udp.SendAsync(DnsWire.Query(0x4242, udpName, 1), new IPEndPoint(resolver.Address, 53), Ct);
        await udp.ReceiveAsync(Ct);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(resolver.Address, 53, Ct);
            var stream = tcp.GetStream();
            await stream.WriteAsync(DnsWire.WithLengthPrefix(DnsWire.Query(0x4343, tcpName, 28)), Ct);
            var prefix = new byte[2];
            await stream.ReadExactlyAsync(prefix, Ct);
            await stream.ReadExactlyAsync(new byte[prefix[0] << 8 | prefix[1]], Ct);
        }

        var udpEvent = Assert.Single(await run.WaitForEventsAsync($"EventType = \"DnsQuery\" AND DnsName = \"{udpName}\""));
        var udpQuery = AgentOnNode.Details(udpEvent);
        Assert.Equal("A", udpQuery.GetProperty("query_type").GetString());
        Assert.Equal(["192.0.2.77"], udpQuery.GetProperty("resolved_ips").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(resolver.Address.ToString(), udpQuery.GetProperty("dns_server").GetString());
        Assert.Equal("NOERROR", udpQuery.GetProperty("response_code").GetString());
        Assert.Equal(Environment.ProcessId, udpEvent.GetProperty("pid").GetInt64());
        Assert.Equal(run.OwnUniquePid(), udpEvent.GetProperty("uniquePid").GetString());

        var tcpQuery = AgentOnNode.Details(Assert.Single(await run.WaitForEventsAsync($"EventType = \"DnsQuery\" AND DnsName = \"{tcpName}\"")));
        Assert.Equal("AAAA", tcpQuery.GetProperty("query_type").GetString());
        Assert.Equal(["2001:db8::77"], tcpQuery.GetProperty("resolved_ips").EnumerateArray().Select(x => x.GetString()));
    }

    [Fact]
    public async Task ATmpfsMountAndUnmount_ArriveWithSourceTypeAndOptions()
    {
        await using var run = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var dir = new TempDirectory("osprey-e2e-mount");
        var source = "osprey-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var mount = await CommandRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=1m,nosuid", source, dir.Path], cancellationToken: Ct);
        Assert.True(mount.ExitCode == 0, mount.ToString());
        try
        {
            var mounted = AgentOnNode.Details(Assert.Single(await run.WaitForEventsAsync($"EventType = \"VolumeMount\" AND Source = \"{source}\"")));
            Assert.Equal("MOUNT_OPERATION_MOUNTED", mounted.GetProperty("operation").GetString());
            Assert.Equal(dir.Path, mounted.GetProperty("mount_point").GetString());
            Assert.Equal("tmpfs", mounted.GetProperty("fs_type").GetString());
            var options = mounted.GetProperty("options").EnumerateArray().Select(x => x.GetString()).ToList();
            Assert.Contains("nosuid", options);
            Assert.Contains("size=1024k", options);
        }
        finally
        {
            Assert.Equal(0, (await CommandRunner.RunAsync("umount", [dir.Path], cancellationToken: Ct)).ExitCode);
        }
        var both = await run.WaitForEventsAsync($"EventType = \"VolumeMount\" AND Source = \"{source}\"", 2);
        Assert.Contains(both, e => AgentOnNode.Details(e).GetProperty("operation").GetString() == "MOUNT_OPERATION_UNMOUNTED");
    }

    [Fact]
    public async Task ANewCronFile_ArrivesAsAScheduledTaskWithCommandScheduleAndAccount()
    {
        // A job for 31 February: a real entry in the real /etc/cron.d that never runs.
        var createdDirectory = !Directory.Exists("/etc/cron.d");
        Directory.CreateDirectory("/etc/cron.d");
        var name = "osprey-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine("/etc/cron.d", name);
        try
        {
            await using var run = await AgentOnNode.StartAsync(["scheduled-task"], null, Ct);
            await File.WriteAllTextAsync(file, $"# written by an Osprey test\n0 0 31 2 * root /bin/true {name}\n", Ct);

            var created = AgentOnNode.Details(Assert.Single(await run.WaitForEventsAsync($"EventType = \"ScheduledTaskChange\" AND Job.SourceFile = \"{file}\"")));
            Assert.Equal("CHANGE_OPERATION_CREATED", created.GetProperty("operation").GetString());
            var job = created.GetProperty("job");
            Assert.Equal($"/bin/true {name}", job.GetProperty("command").GetString());
            Assert.Equal("0 0 31 2 *", job.GetProperty("schedule").GetString());
            Assert.Equal("root", job.GetProperty("run_as").GetProperty("name").GetString());
            Assert.Equal("cron", job.GetProperty("scheduler").GetString());
            Assert.Equal($"{name}:2", job.GetProperty("name").GetString());

            File.Delete(file);
            var both = await run.WaitForEventsAsync($"EventType = \"ScheduledTaskChange\" AND Job.SourceFile = \"{file}\"", 2);
            Assert.Contains(both, e => AgentOnNode.Details(e).GetProperty("operation").GetString() == "CHANGE_OPERATION_DELETED");
        }
        finally
        {
            File.Delete(file);
            if (createdDirectory)
            {
                Directory.Delete("/etc/cron.d");
            }
        }
    }

    private static Task<string> Sha256SumAsync(string path) => SumAsync("sha256sum", path);

    private static async Task<string> SumAsync(string tool, string path)
    {
        var result = await CommandRunner.RunAsync(tool, [path], cancellationToken: Ct);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split(' ')[0];
    }
}
