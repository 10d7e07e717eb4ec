using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Osprey.Testing.Processes;

namespace Osprey.Testing.Network;

/// <summary>
/// A network namespace of a test's own (DESIGN §4: isolation is only ever tested inside one), linked to the machine's
/// namespace by a veth pair in an otherwise unused /24 of 198.18.0.0/15 (the benchmarking range): the namespace side is
/// .2, the machine side .1 plus any extra addresses a test asks for (peers to connect to). Everything the test runs
/// against the firewall goes through <see cref="ExecAsync"/> or <see cref="NftWrapper"/>, which enter the namespace
/// first. Disposing deletes the namespace, and with it the veth pair; a namespace left by a test process that died is
/// deleted by the next one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TestNetwork : IAsyncDisposable
{
    private const string Prefix = "osprey-t-";
    private readonly string _wrapperDirectory;

    private TestNetwork(string name, int subnet, int extras)
    {
        Namespace = name;
        HostAddress = Address(subnet, 1);
        NamespaceAddress = Address(subnet, 2);
        PeerAddresses = [.. Enumerable.Range(0, extras).Select(i => Address(subnet, 10 + i))];
        UnusedAddress = Address(subnet, 250);
        _wrapperDirectory = Directory.CreateTempSubdirectory("osprey-netns-").FullName;
        NftWrapper = Path.Combine(_wrapperDirectory, "nft");
        File.WriteAllText(NftWrapper, $"#!/bin/sh\nexec ip netns exec {name} nft \"$@\"\n");
        File.SetUnixFileMode(NftWrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Namespace { get; }

    /// <summary>The machine side of the veth pair (listen here to be reachable from the namespace).</summary>
    public IPAddress HostAddress { get; }

    public IPAddress NamespaceAddress { get; }

    /// <summary>Further addresses on the machine side, for peers the namespace connects to.</summary>
    public IReadOnlyList<IPAddress> PeerAddresses { get; }

    /// <summary>An address of the subnet nobody holds (nothing is ever sent to it).</summary>
    public IPAddress UnusedAddress { get; }

    /// <summary>An executable that runs nft inside the namespace with the arguments it is given.</summary>
    public string NftWrapper { get; }

    /// <summary>Creates the namespace, the veth pair and the addresses; fails with ip's message (and leaves nothing) when it cannot.</summary>
    public static async Task<TestNetwork> CreateAsync(int peerAddresses, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        await RemoveOrphansAsync(cancellationToken).ConfigureAwait(false);
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{id}");
        var subnet = await FreeSubnetAsync(cancellationToken).ConfigureAwait(false);
        var network = new TestNetwork(name, subnet, peerAddresses);
        var host = "ospt" + id + "h";
        var inside = "ospt" + id + "n";
        try
        {
            await IpAsync(cancellationToken, "netns", "add", name).ConfigureAwait(false);
            await IpAsync(cancellationToken, "link", "add", host, "type", "veth", "peer", "name", inside).ConfigureAwait(false);
            await IpAsync(cancellationToken, "link", "set", inside, "netns", name).ConfigureAwait(false);
            foreach (var address in (IPAddress[])[network.HostAddress, .. network.PeerAddresses])
            {
                await IpAsync(cancellationToken, "addr", "add", address + "/24", "dev", host).ConfigureAwait(false);
            }
            await IpAsync(cancellationToken, "link", "set", host, "up").ConfigureAwait(false);
            await IpAsync(cancellationToken, "netns", "exec", name, "ip", "addr", "add", network.NamespaceAddress + "/24", "dev", inside).ConfigureAwait(false);
            await IpAsync(cancellationToken, "netns", "exec", name, "ip", "link", "set", inside, "up").ConfigureAwait(false);
            await IpAsync(cancellationToken, "netns", "exec", name, "ip", "link", "set", "lo", "up").ConfigureAwait(false);
            return network;
        }
        catch
        {
            await network.DisposeAsync().ConfigureAwait(false);
            await CommandRunner.RunAsync("ip", ["link", "del", host], cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs a program inside the namespace.</summary>
    public Task<ProcessResult> ExecAsync(string program, IEnumerable<string> arguments, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        CommandRunner.RunAsync("ip", ["netns", "exec", Namespace, program, .. arguments], null, timeout, cancellationToken);

    /// <summary>Whether a TCP connection from inside the namespace to <paramref name="address"/>:<paramref name="port"/> is set up within <paramref name="wait"/>.</summary>
    public async Task<bool> CanConnectAsync(IPAddress address, int port, TimeSpan wait, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var result = await ExecAsync(
            "timeout", [seconds, "bash", "-c", string.Create(CultureInfo.InvariantCulture, $"exec 3<>/dev/tcp/{address}/{port}")],
            wait + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    /// <summary>The listing of an nftables table inside the namespace, or null when the namespace has no such table.</summary>
    public async Task<string?> ListTableAsync(string family, string table, CancellationToken cancellationToken)
    {
        var result = await ExecAsync("nft", ["list", "table", family, table], cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.Stdout : null;
    }

    public async ValueTask DisposeAsync()
    {
        await CommandRunner.RunAsync("ip", ["netns", "del", Namespace], cancellationToken: CancellationToken.None).ConfigureAwait(false);
        Directory.Delete(_wrapperDirectory, recursive: true);
    }

    private static IPAddress Address(int subnet, int host) => new([198, (byte)(18 + (subnet >> 8)), (byte)(subnet & 0xFF), (byte)host]);

    /// <summary>A /24 of 198.18.0.0/15 no interface of the machine has an address in.</summary>
    private static async Task<int> FreeSubnetAsync(CancellationToken cancellationToken)
    {
        var listing = (await CommandRunner.RunAsync("ip", ["-o", "-4", "addr", "show"], cancellationToken: cancellationToken).ConfigureAwait(false)).Stdout;
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var subnet = RandomNumberGenerator.GetInt32(0, 512);
            var prefix = $"inet 198.{18 + (subnet >> 8)}.{subnet & 0xFF}.";
            if (!listing.Contains(prefix, StringComparison.Ordinal))
            {
                return subnet;
            }
        }
        throw new InvalidOperationException("no free /24 in 198.18.0.0/15 for a test network");
    }

    /// <summary>Deletes test namespaces whose creating process (named in the namespace name) is gone.</summary>
    private static async Task RemoveOrphansAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists("/run/netns"))
        {
            return;
        }
        foreach (var path in Directory.GetFiles("/run/netns", Prefix + "*"))
        {
            var name = Path.GetFileName(path);
            var pid = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pid, CultureInfo.InvariantCulture, out var owner) && !Directory.Exists($"/proc/{owner}"))
            {
                await CommandRunner.RunAsync("ip", ["netns", "del", name], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task IpAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync("ip", arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {result}");
        }
    }
}
