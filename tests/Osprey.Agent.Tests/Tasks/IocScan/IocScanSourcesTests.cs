using System.Net;
using System.Net.Sockets;
using Osprey.Agent.Tasks.IocScan;
using Osprey.Detection.OpenIoc;
using Xunit;

namespace Osprey.Agent.Tests.Tasks.IocScan;

/// <summary>The IOC scan's readers of the live system, checked against what the test itself set up or another reader.</summary>
public sealed class IocScanSourcesTests
{
    [Fact]
    public void ProcNet_ListsAConnectionTheTestOpened_WithBothEnds()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        var local = ((IPEndPoint)client.Client.LocalEndPoint!).Port;

        var sockets = ProcSocket.ReadAll("/proc/net", 1_000_000);

        var connection = Assert.Single(sockets, s => s.Protocol == "TCP" && s.RemotePort == port && s.LocalPort == local);
        Assert.Equal("127.0.0.1", connection.RemoteAddress);
        Assert.Equal("ESTABLISHED", connection.State);
        Assert.NotEqual(0UL, connection.Inode);
        Assert.Contains(sockets, s => s.Protocol == "TCP" && s.LocalPort == port && s.State == "LISTEN");
    }

    [Theory]
    [InlineData("   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0", "TCP", false, "127.0.0.1", 22u, "0.0.0.0", 0u, "LISTEN")]
    [InlineData("   1: 00000000000000000000000001000000:1F90 0000000000000000FFFF00000100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 777 1", "TCP", true, "::1", 8080u, "127.0.0.1", 54321u, "ESTABLISHED")]
    public void ProcNetLine_IsParsed(string line, string protocol, bool ipv6, string localIp, uint localPort, string remoteIp, uint remotePort, string state)
    {
        var socket = ProcSocket.Parse(line, protocol, ipv6);
        Assert.NotNull(socket);
        Assert.Equal((localIp, localPort, remoteIp, remotePort, state), (socket.LocalAddress, socket.LocalPort, socket.RemoteAddress, socket.RemotePort, socket.State));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")]
    [InlineData("   0: 0100007F:0016 00000000:0000")]
    [InlineData("   0: 0100007:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345")]
    public void ProcNetLine_Malformed_IsSkipped(string line) => Assert.Null(ProcSocket.Parse(line, "TCP", false));

    [Fact]
    public void Neighbours_OverNetlink_IncludeEveryCompleteIpv4EntryOfProcNetArp()
    {
        var netlink = NeighbourTable.Read(100_000, out var problem);
        Assert.Null(problem);
        var proc = NeighbourTable.ReadProcArp("/proc/net/arp", 100_000).Where(e => e.State != "INCOMPLETE").ToList();
        foreach (var entry in proc)
        {
            Assert.Contains(netlink, n => n.Address == entry.Address && n.PhysicalAddress == entry.PhysicalAddress && n.Interface == entry.Interface);
        }
    }

    [Fact]
    public void HostsAndPasswd_AreRead()
    {
        using var dir = new Osprey.Testing.Paths.TempDirectory("osprey-ioc-src");
        var hosts = Path.Combine(dir.Path, "hosts");
        File.WriteAllText(hosts, "127.0.0.1 localhost\n# comment\n203.0.113.5 c2.example.net c2 # trailing\n2001:db8::5 v6.example\nnot-an-ip name\n");
        var entries = DnsObject.ReadHosts(hosts, 100);
        Assert.Equal(4, entries.Count);
        Assert.Equal(["203.0.113.5"], entries[1].Values("DnsEntryItem/RecordData/IPv4Address"));
        Assert.Equal(["c2.example.net"], entries[1].Values("DnsEntryItem/Host"));
        Assert.Equal(["AAAA"], entries[3].Values("DnsEntryItem/RecordType"));

        var passwd = Path.Combine(dir.Path, "passwd");
        File.WriteAllText(passwd, "root:x:0:0:root:/root:/bin/bash\nbroken line\nmallory:x:1337:1337:Mallory,,,:/home/mallory:/bin/sh\n");
        var users = UserObject.ReadPasswd(passwd, 100);
        Assert.Equal(2, users.Count);
        Assert.Equal(["1337"], users[1].Values("UserItem/userid"));
        Assert.Equal(["Mallory"], users[1].Values("UserItem/fullname"));
    }

    [Fact]
    public void FileScope_AnAndWithAnAbsolutePath_PinsItsDirectory_OtherwiseTheRootsAreNeeded()
    {
        static IocIndicator Top(string xml) => IocParser.Parse(xml, "t.ioc").Document!.Indicators[0];
        const string Head = """<OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="d"><criteria>""";
        const string Tail = "</criteria></OpenIOC>";
        static string Item(string condition, string term, string content, string type = "string", bool negate = false) =>
            $"""<IndicatorItem id="{term}-{content.GetHashCode(StringComparison.Ordinal)}" condition="{condition}" negate="{(negate ? "true" : "false")}"><Context document="{term.Split('/')[0]}" search="{term}"/><Content type="{type}">{content}</Content></IndicatorItem>""";
        const string Md5 = "0123456789abcdef0123456789abcdef";

        var pinned = Top($"""{Head}<Indicator operator="AND" id="a">{Item("is", "FileItem/FullPath", "/opt/app/bin/x")}{Item("is", "FileItem/Md5sum", Md5, "md5")}</Indicator>{Tail}""");
        Assert.Equal([new WalkRoot("/opt/app/bin", 0)], FileScope.Roots(pinned, IocTermCatalog.Endpoint, 16)!);

        var prefix = Top($"""{Head}<Indicator operator="OR" id="o"><Indicator operator="AND" id="a">{Item("starts-with", "FileItem/FilePath", "/var/lib/x/")}{Item("is", "FileItem/Md5sum", Md5, "md5")}</Indicator>{Item("is", "ProcessItem/name", "x")}</Indicator>{Tail}""");
        Assert.Equal([new WalkRoot("/var/lib/x", 16)], FileScope.Roots(prefix, IocTermCatalog.Endpoint, 16)!);

        var loose = Top($"""{Head}<Indicator operator="OR" id="o">{Item("is", "FileItem/FullPath", "/opt/app/bin/x")}{Item("is", "FileItem/Md5sum", Md5, "md5")}</Indicator>{Tail}""");
        Assert.Null(FileScope.Roots(loose, IocTermCatalog.Endpoint, 16));

        var negated = Top($"""{Head}<Indicator operator="AND" id="a">{Item("is", "FileItem/FullPath", "/opt/x", negate: true)}{Item("is", "FileItem/Md5sum", Md5, "md5")}</Indicator>{Tail}""");
        Assert.Null(FileScope.Roots(negated, IocTermCatalog.Endpoint, 16));

        var noFiles = Top($"""{Head}<Indicator operator="OR" id="o">{Item("is", "ProcessItem/name", "x")}</Indicator>{Tail}""");
        Assert.Empty(FileScope.Roots(noFiles, IocTermCatalog.Endpoint, 16)!);
    }

    [Fact]
    public void Roots_CoveredByAnotherRoot_AreDropped()
    {
        var roots = IocScanner.Deduplicate([new("/tmp", 16), new("/tmp/a/b", 3), new("/tmp/a/b", 0), new("/etc", 0), new("/etc/cron.d", 0), new("/", 1), new("/x/y", 0)]);
        Assert.Equal([new WalkRoot("/", 1), new WalkRoot("/etc/cron.d", 0), new WalkRoot("/tmp", 16), new WalkRoot("/x/y", 0)], roots.OrderBy(r => r.Path, StringComparer.Ordinal));
    }
}
