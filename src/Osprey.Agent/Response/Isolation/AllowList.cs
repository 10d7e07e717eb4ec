using System.Net;
using System.Net.Sockets;
using Osprey.Contracts.Isolation;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// What isolation always keeps reachable: every address of every node URL and of the proxy, resolved now, on the URL's
/// port; and, when one of them is a host name, the DNS servers of <c>/etc/resolv.conf</c> (with systemd-resolved's
/// upstream servers behind its loopback stub), so the name can be resolved again while isolated.
/// </summary>
/// <param name="resolve">Resolves a host name; the system resolver unless a test injects a name that moves.</param>
internal sealed class AllowList(
    IReadOnlyList<string> servers, string? proxyUrl, IReadOnlyList<string> faultNodeAddresses, IReadOnlyList<string> resolverFiles,
    Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    public static readonly string[] SystemResolverFiles = ["/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"];

    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    /// <summary>True when a node or the proxy is named by host name (its addresses can change while isolated).</summary>
    public bool HasNames =>
        faultNodeAddresses.Count == 0 && (proxyUrl is null ? servers : [.. servers, proxyUrl]).Any(url => new Uri(url).HostNameType == UriHostNameType.Dns);

    /// <summary>The plan for <paramref name="exclusions"/>; throws <see cref="IsolationException"/> when a node name does not resolve.</summary>
    public async Task<IsolationPlan> PlanAsync(IReadOnlyList<ExclusionRule> exclusions, CancellationToken cancellationToken)
    {
        var endpoints = new List<NodeEndpoint>();
        var named = false;
        foreach (var url in proxyUrl is null ? servers : [.. servers, proxyUrl])
        {
            var uri = new Uri(url);
            named |= uri.HostNameType == UriHostNameType.Dns;
            // Fault injection for tests: the rules allow these addresses in place of the real ones.
            var addresses = faultNodeAddresses.Count > 0
                ? [.. faultNodeAddresses.Select(IPAddress.Parse)]
                : await ResolveAsync(uri, cancellationToken).ConfigureAwait(false);
            endpoints.AddRange(addresses.Select(a => new NodeEndpoint(Plain(a), uri.Port)));
        }
        var dns = named ? ResolverAddresses() : [];
        return new IsolationPlan([.. endpoints.Distinct()], dns, exclusions);
    }

    private async Task<IPAddress[]> ResolveAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(uri.IdnHost, out var literal))
        {
            return [literal];
        }
        try
        {
            var addresses = await _resolve(uri.IdnHost, cancellationToken).ConfigureAwait(false);
            return addresses.Length > 0 ? addresses : throw new IsolationException($"the node name {uri.IdnHost} resolves to no address");
        }
        catch (SocketException e)
        {
            throw new IsolationException($"the node name {uri.IdnHost} could not be resolved ({e.Message}); without its addresses isolation would cut the agent off", e);
        }
    }

    /// <summary>The nameservers of the resolver files, loopback ones left out (loopback stays open anyway).</summary>
    private List<IPAddress> ResolverAddresses()
    {
        var result = new List<IPAddress>();
        foreach (var file in resolverFiles)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var line in lines)
            {
                var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && fields[0] == "nameserver" && IPAddress.TryParse(fields[1], out var server) && !IPAddress.IsLoopback(server))
                {
                    result.Add(Plain(server));
                }
            }
        }
        return [.. result.Distinct()];
    }

    /// <summary>The address as nft writes it: IPv4-mapped addresses as IPv4, no scope ID.</summary>
    private static IPAddress Plain(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4()
        : address.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(address.GetAddressBytes())
        : address;
}
