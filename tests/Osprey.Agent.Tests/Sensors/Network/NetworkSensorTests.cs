using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Osprey.Agent.Sensors.Network;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class NetworkSensorTests
{
    private static readonly NetworkSensorOptions Fast = new() { PollIntervalMs = 100 };

    [Fact]
    public async Task TcpConnection_FromChildProcess_IsReportedOnBothEndsWithTheirProcesses()
    {
        Root.Require();
        await using var harness = new SensorHarness(new NetworkSensor(Fast));
        await harness.StartAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var listen = await harness.WaitForAsync(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == port, what: "PortListen of the test's listener");
        Assert.Equal("127.0.0.1", listen.PortListen.LocalIp);
        Assert.Equal("tcp", listen.PortListen.Protocol);
        AssertIsThisProcess(harness, listen);

        using var child = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 5"]))!;
        try
        {
            using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var clientPort = ((IPEndPoint)accepted.Client.RemoteEndPoint!).Port;

            var outbound = await harness.WaitForAsync(
                e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == clientPort && e.NetworkConnection.RemotePort == port,
                what: "NetworkConnection of the child's end");
            Assert.Equal("127.0.0.1", outbound.NetworkConnection.LocalIp);
            Assert.Equal("127.0.0.1", outbound.NetworkConnection.RemoteIp);
            Assert.Equal("tcp", outbound.NetworkConnection.Protocol);
            Assert.Equal(Direction.Outbound, outbound.NetworkConnection.Direction);
            Assert.Equal(child.Id, outbound.Process.Pid);
            Assert.Equal(harness.Processes.Get(child.Id)!.UniquePid, outbound.Process.UniquePid);
            Assert.Equal(harness.Processes.Get(Environment.ProcessId)!.UniquePid, outbound.ParentUniquePid);
            Assert.Equal("0", outbound.User.Id);
            Assert.Equal("root", outbound.User.Name);

            var inbound = await harness.WaitForAsync(
                e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == port && e.NetworkConnection.RemotePort == clientPort,
                what: "NetworkConnection of the accepted end");
            Assert.Equal(Direction.Inbound, inbound.NetworkConnection.Direction);
            Assert.Equal("127.0.0.1", inbound.NetworkConnection.RemoteIp);
            AssertIsThisProcess(harness, inbound);

            // Later listings still show both sockets: neither is reported again.
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.Single(harness.Events, e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == clientPort);
            Assert.Single(harness.Events, e => e.Type == EventType.NetworkConnection && e.NetworkConnection.RemotePort == clientPort);
            Assert.Single(harness.Events, e => e.Type == EventType.PortListen && e.PortListen.LocalPort == port);
        }
        finally
        {
            child.Kill();
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task InboundConnection_NotYetAccepted_IsAttributedToTheListenersProcess()
    {
        Root.Require();
        await using var harness = new SensorHarness(new NetworkSensor(Fast with { AcceptGracePolls = 2 }));
        await harness.StartAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await harness.WaitForAsync(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == port, what: "PortListen");

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        var inbound = await harness.WaitForAsync(
            e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == port && e.NetworkConnection.RemotePort == clientPort,
            what: "NetworkConnection of the unaccepted end");
        Assert.Equal(Direction.Inbound, inbound.NetworkConnection.Direction);
        AssertIsThisProcess(harness, inbound);
    }

    [Fact]
    public async Task Ipv6Connection_IsReportedWithIpv6Addresses()
    {
        Root.Require();
        await using var harness = new SensorHarness(new NetworkSensor(Fast));
        await harness.StartAsync();
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient(AddressFamily.InterNetworkV6);
        await client.ConnectAsync(IPAddress.IPv6Loopback, port, TestContext.Current.CancellationToken);
        using var accepted = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
        var clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        var listen = await harness.WaitForAsync(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == port, what: "PortListen on ::1");
        Assert.Equal("::1", listen.PortListen.LocalIp);
        var outbound = await harness.WaitForAsync(
            e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == clientPort && e.NetworkConnection.RemotePort == port,
            what: "outbound NetworkConnection on ::1");
        Assert.Equal("::1", outbound.NetworkConnection.LocalIp);
        Assert.Equal("::1", outbound.NetworkConnection.RemoteIp);
        Assert.Equal(Direction.Outbound, outbound.NetworkConnection.Direction);
        AssertIsThisProcess(harness, outbound);
    }

    [Fact]
    public async Task UdpSockets_BoundIsAListeningPortAndConnectedIsAConnection()
    {
        Root.Require();
        await using var harness = new SensorHarness(new NetworkSensor(Fast));
        await harness.StartAsync();
        using var bound = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var boundPort = ((IPEndPoint)bound.Client.LocalEndPoint!).Port;
        using var connected = new UdpClient(AddressFamily.InterNetwork);
        connected.Connect(IPAddress.Loopback, boundPort);
        var connectedPort = ((IPEndPoint)connected.Client.LocalEndPoint!).Port;

        var listen = await harness.WaitForAsync(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == boundPort, what: "PortListen of the bound UDP socket");
        Assert.Equal("udp", listen.PortListen.Protocol);
        Assert.Equal("127.0.0.1", listen.PortListen.LocalIp);
        AssertIsThisProcess(harness, listen);

        var connection = await harness.WaitForAsync(
            e => e.Type == EventType.NetworkConnection && e.NetworkConnection.LocalPort == connectedPort,
            what: "NetworkConnection of the connected UDP socket");
        Assert.Equal("udp", connection.NetworkConnection.Protocol);
        Assert.Equal(boundPort, connection.NetworkConnection.RemotePort);
        Assert.Equal("127.0.0.1", connection.NetworkConnection.RemoteIp);
        Assert.Equal(Direction.Outbound, connection.NetworkConnection.Direction);
        AssertIsThisProcess(harness, connection);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ExistingListener_IsReportedAtStartOnlyWhenAsked(bool reportExisting)
    {
        Root.Require();
        using var before = new TcpListener(IPAddress.Loopback, 0);
        before.Start();
        var beforePort = ((IPEndPoint)before.LocalEndpoint).Port;
        await using var harness = new SensorHarness(new NetworkSensor(Fast with { ReportExistingAtStart = reportExisting }));
        await harness.StartAsync();
        using var after = new TcpListener(IPAddress.Loopback, 0);
        after.Start();
        var afterPort = ((IPEndPoint)after.LocalEndpoint).Port;

        await harness.WaitForAsync(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == afterPort, what: "PortListen of the new listener");
        Assert.Equal(reportExisting, harness.Events.Any(e => e.Type == EventType.PortListen && e.PortListen.LocalPort == beforePort));
    }

    [Fact]
    public async Task InvalidOptions_FailTheSensorWithTheReason()
    {
        await using var harness = new SensorHarness(new NetworkSensor(new NetworkSensorOptions { PollIntervalMs = 1 }));
        await harness.Sensor.RunAsync(harness.Context, TestContext.Current.CancellationToken);
        Assert.Equal(Agent.Sensors.SensorState.Failed, harness.Context.Health.State);
        Assert.Contains("pollIntervalMs", harness.Context.Health.Message, StringComparison.Ordinal);
    }

    private static void AssertIsThisProcess(SensorHarness harness, Event e)
    {
        Assert.Equal(Environment.ProcessId, e.Process.Pid);
        Assert.Equal(harness.Processes.Get(Environment.ProcessId)!.UniquePid, e.Process.UniquePid);
        Assert.Equal(Environment.ProcessPath, e.Process.File.Path);
        Assert.Equal("0", e.User.Id);
    }
}
