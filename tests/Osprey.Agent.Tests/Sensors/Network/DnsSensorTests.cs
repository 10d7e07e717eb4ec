using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Osprey.Agent.Sensors.Network;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Network;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class DnsSensorTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Query_FromChildProcess_IsReportedOnceWithAnswerServerAndProcess()
    {
        Root.Require();
        await using var server = LoopbackDnsServer.Start();
        await using var harness = new SensorHarness(new DnsSensor());
        await harness.StartAsync();
        var name = $"child-{Guid.NewGuid():N}.osprey.test";
        var query = DnsWire.Query(0x1234, name, 1);
        var bytes = string.Concat(query.Select(b => $"\\x{b:x2}"));
        // bash's /dev/udp opens a connected UDP socket; the sleep keeps it (and the process) alive for the lookup.
        using var child = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"exec 3<>/dev/udp/{server.Address}/53; printf '{bytes}' >&3; sleep 5"]))!;
        try
        {
            var e = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name, what: "DnsQuery of the child's query");
            Assert.Equal("A", e.DnsQuery.QueryType);
            Assert.Equal(["192.0.2.77"], e.DnsQuery.ResolvedIps);
            Assert.Equal(server.Address.ToString(), e.DnsQuery.DnsServer);
            Assert.Equal("NOERROR", e.DnsQuery.ResponseCode);
            Assert.Equal(child.Id, e.Process.Pid);
            Assert.Equal(harness.Processes.Get(child.Id)!.UniquePid, e.Process.UniquePid);
            Assert.Equal(harness.Processes.Get(Environment.ProcessId)!.UniquePid, e.ParentUniquePid);
            Assert.Equal("0", e.User.Id);
            Assert.InRange(e.TimeUs, DateTimeOffset.UtcNow.AddSeconds(-10).ToUnixTimeMilliseconds() * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);

            // Loopback shows each packet leaving and arriving: still one event, even after a later query went through.
            await QueryAndWaitAsync(harness, server, $"after-{Guid.NewGuid():N}.osprey.test");
            Assert.Single(harness.Events, e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name);
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(Token);
        }
    }

    [Fact]
    public async Task AaaaQuery_FromAnUnconnectedSocket_IsAttributedToThisProcess()
    {
        Root.Require();
        await using var server = LoopbackDnsServer.Start();
        await using var harness = new SensorHarness(new DnsSensor());
        await harness.StartAsync();
        var name = $"Mixed-Case-{Guid.NewGuid():N}.Osprey.Test";
        using var client = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        await client.SendAsync(DnsWire.Query(0x4321, name, 28), new IPEndPoint(server.Address, 53), Token);
        var reply = await client.ReceiveAsync(Token);
        Assert.Equal(0x43, reply.Buffer[0]);

        var e = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name.ToLowerInvariant(), what: "DnsQuery of the AAAA query");
        Assert.Equal("AAAA", e.DnsQuery.QueryType);
        Assert.Equal(["2001:db8::77"], e.DnsQuery.ResolvedIps);
        Assert.Equal("NOERROR", e.DnsQuery.ResponseCode);
        Assert.Equal(Environment.ProcessId, e.Process.Pid);
        Assert.Equal(harness.Processes.Get(Environment.ProcessId)!.UniquePid, e.Process.UniquePid);
    }

    [Fact]
    public async Task NxDomainAndUnansweredQueries_AreReportedWithTheirOutcome()
    {
        Root.Require();
        await using var server = LoopbackDnsServer.Start();
        await using var harness = new SensorHarness(new DnsSensor(new DnsSensorOptions { ResponseTimeoutMs = 300 }));
        await harness.StartAsync();
        var missing = $"nx-{Guid.NewGuid():N}.osprey.test";
        var silent = $"silent-{Guid.NewGuid():N}.osprey.test";
        using var client = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        await client.SendAsync(DnsWire.Query(1, missing, 1), new IPEndPoint(server.Address, 53), Token);
        await client.SendAsync(DnsWire.Query(2, silent, 16), new IPEndPoint(server.Address, 53), Token);

        var nx = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == missing, what: "DnsQuery answered NXDOMAIN");
        Assert.Equal("NXDOMAIN", nx.DnsQuery.ResponseCode);
        Assert.Empty(nx.DnsQuery.ResolvedIps);
        var unanswered = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == silent, what: "DnsQuery left unanswered");
        Assert.Equal("TXT", unanswered.DnsQuery.QueryType);
        Assert.Equal("", unanswered.DnsQuery.ResponseCode);
        Assert.Empty(unanswered.DnsQuery.ResolvedIps);
        Assert.Equal(server.Address.ToString(), unanswered.DnsQuery.DnsServer);
        Assert.Equal(Environment.ProcessId, unanswered.Process.Pid);
    }

    [Fact]
    public async Task QueryOverIpv6_IsReportedWithTheIpv6Server()
    {
        Root.Require();
        using var server = new UdpClient(new IPEndPoint(IPAddress.IPv6Loopback, 53));
        await using var harness = new SensorHarness(new DnsSensor());
        await harness.StartAsync();
        var name = $"v6-{Guid.NewGuid():N}.osprey.test";
        using var client = new UdpClient(AddressFamily.InterNetworkV6);
        client.Connect(IPAddress.IPv6Loopback, 53);
        await client.SendAsync(DnsWire.Query(0x0606, name, 1), Token);
        var request = await server.ReceiveAsync(Token);
        await server.SendAsync(LoopbackDnsServer.Answer(request.Buffer), request.RemoteEndPoint, Token);
        await client.ReceiveAsync(Token);

        var e = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name, what: "DnsQuery over IPv6");
        Assert.Equal("::1", e.DnsQuery.DnsServer);
        Assert.Equal(["192.0.2.77"], e.DnsQuery.ResolvedIps);
        Assert.Equal(Environment.ProcessId, e.Process.Pid);
    }

    [Fact]
    public async Task QueryOverTcp_FromChildProcess_IsReportedWithItsProcess()
    {
        Root.Require();
        await using var server = LoopbackDnsServer.Start();
        await using var harness = new SensorHarness(new DnsSensor());
        await harness.StartAsync();
        var name = $"tcp-{Guid.NewGuid():N}.osprey.test";
        var bytes = string.Concat(DnsWire.WithLengthPrefix(DnsWire.Query(7, name, 1)).Select(b => $"\\x{b:x2}"));
        using var child = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"exec 3<>/dev/tcp/{server.Address}/53; printf '{bytes}' >&3; sleep 5"]))!;
        try
        {
            var e = await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name, what: "DnsQuery over TCP");
            Assert.Equal(["192.0.2.77"], e.DnsQuery.ResolvedIps);
            Assert.Equal("NOERROR", e.DnsQuery.ResponseCode);
            Assert.Equal(server.Address.ToString(), e.DnsQuery.DnsServer);
            // The server's end of the connection belongs to the test process: the lookup must find the client's end.
            Assert.Equal(child.Id, e.Process.Pid);
            Assert.Equal(harness.Processes.Get(child.Id)!.UniquePid, e.Process.UniquePid);
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(Token);
        }
    }

    [Fact]
    public async Task QueryToAnotherPort_IsNotReported()
    {
        Root.Require();
        await using var server = LoopbackDnsServer.Start();
        await using var harness = new SensorHarness(new DnsSensor());
        await harness.StartAsync();
        using var elsewhere = new UdpClient(new IPEndPoint(server.Address, 0));
        var otherPort = ((IPEndPoint)elsewhere.Client.LocalEndPoint!).Port;
        var ignored = $"port-{otherPort}-{Guid.NewGuid():N}.osprey.test";
        using var client = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        var query = DnsWire.Query(9, ignored, 1);
        await client.SendAsync(query, new IPEndPoint(server.Address, otherPort), Token);
        var received = await elsewhere.ReceiveAsync(Token);
        await elsewhere.SendAsync(LoopbackDnsServer.Answer(received.Buffer), received.RemoteEndPoint, Token);
        await client.ReceiveAsync(Token);

        await QueryAndWaitAsync(harness, server, $"control-{Guid.NewGuid():N}.osprey.test");
        Assert.DoesNotContain(harness.Events, e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == ignored);
    }

    [Fact]
    public void CaptureFilter_JumpsStayInsideTheProgram()
    {
        // The filter program itself: well-formed jumps that land inside the program on a return.
        var filter = Agent.Interop.PacketSocket.DnsFilter();
        for (var i = 0; i < filter.Length; i++)
        {
            if ((filter[i].Code & 0x07) == 0x05)
            {
                Assert.InRange(i + 1 + filter[i].JumpTrue, i + 1, filter.Length - 1);
                Assert.InRange(i + 1 + filter[i].JumpFalse, i + 1, filter.Length - 1);
            }
        }
        Assert.Equal(0x06, filter[^1].Code);
        Assert.Equal(0u, filter[^1].K);
    }

    private static async Task QueryAndWaitAsync(SensorHarness harness, LoopbackDnsServer server, string name)
    {
        using var client = new UdpClient(new IPEndPoint(IPAddress.Any, 0));
        await client.SendAsync(DnsWire.Query(0x0777, name, 1), new IPEndPoint(server.Address, 53), Token);
        await client.ReceiveAsync(Token);
        await harness.WaitForAsync(e => e.Type == EventType.DnsQuery && e.DnsQuery.Name == name, what: $"DnsQuery of {name}");
    }
}
