using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Network;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tests.Sensors.Network;

public sealed class SocketOwnersTests
{
    [Fact]
    public async Task Resolve_FindsEachOwnerAndAsksRecentOwnersBeforeScanningEveryProcess()
    {
        Root.Require();
        var table = new ProcessTable(ProcessIdentity.ForThisBoot("agent-under-test"), new FileHasher(1 << 20), new UserDirectory(), []);
        var owners = new SocketOwners(table, 1024);
        // Another process's connected socket (bash connects to this listener), then two of this process's own.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var other = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", $"exec 3<>/dev/tcp/127.0.0.1/{port}; echo ready; exec sleep 30"]) { RedirectStandardOutput = true })!;
        try
        {
            using var accepted = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            Assert.Equal("ready", await other.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));
            var otherInode = SocketInodes(other.Id).Single();
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            second.Bind(new IPEndPoint(IPAddress.Loopback, 0));

            owners.Resolve([otherInode], allowFullScan: true);
            owners.Resolve([InodeOf(first)], allowFullScan: true);
            var scansAfterTwoOwners = owners.FullScans;
            owners.Resolve([InodeOf(second)], allowFullScan: true);

            Assert.Equal(other.Id, owners.Cached(otherInode)?.Pid);
            Assert.Equal(Environment.ProcessId, owners.Cached(InodeOf(first))?.Pid);
            Assert.Equal(Environment.ProcessId, owners.Cached(InodeOf(second))?.Pid);
            Assert.Equal(2, scansAfterTwoOwners);
            // The second socket of a recent owner is found without a scan of every process.
            Assert.Equal(2, owners.FullScans);
            owners.Forget(InodeOf(second));
            Assert.Null(owners.Cached(InodeOf(second)));
            // Without a full scan, an inode no recent owner holds stays unresolved.
            owners.Resolve([ulong.MaxValue - 1], allowFullScan: false);
            Assert.Equal(2, owners.FullScans);
            Assert.Null(owners.Cached(ulong.MaxValue - 1));
        }
        finally
        {
            other.Kill();
            await other.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static ulong InodeOf(Socket socket) =>
        ParseLink(new FileInfo($"/proc/self/fd/{socket.SafeHandle.DangerousGetHandle()}").LinkTarget!);

    private static List<ulong> SocketInodes(int pid) =>
        [.. Directory.GetFiles($"/proc/{pid}/fd").Select(f => new FileInfo(f).LinkTarget ?? "").Where(t => t.StartsWith("socket:[", StringComparison.Ordinal)).Select(ParseLink)];

    private static ulong ParseLink(string link) => SocketOwners.TryParseSocketLink(System.Text.Encoding.ASCII.GetBytes(link), out var inode) ? inode : 0;
}
