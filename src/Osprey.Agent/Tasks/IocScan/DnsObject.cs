using System.Net.Sockets;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>DnsEntryItem: a name and the address it resolves to, from the hosts file.</summary>
internal sealed class DnsObject(string host, string address, bool ipv6) : ScanObject
{
    public override string Document => "DnsEntryItem";

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "host" or "recordname" or "recorddata/host" => One(host),
        "recordtype" => One(ipv6 ? "AAAA" : "A"),
        "recorddata/ipv4address" => ipv6 ? null : One(address),
        "recorddata/ipv6address" => ipv6 ? One(address) : null,
        _ => null,
    };

    public override IocObject ToProto() => new()
    {
        DnsEntry = new DnsEntryItem { Host = host, RecordName = host, RecordType = ipv6 ? "AAAA" : "A", RecordData = address },
    };

    /// <summary>One entry per name and address of a hosts file (at most <paramref name="max"/>).</summary>
    public static List<DnsObject> ReadHosts(string path, int max)
    {
        var entries = new List<DnsObject>();
        foreach (var raw in File.ReadLines(path))
        {
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var fields = (hash >= 0 ? raw[..hash] : raw).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !System.Net.IPAddress.TryParse(fields[0], out var address))
            {
                continue;
            }
            foreach (var name in fields.Skip(1))
            {
                entries.Add(new DnsObject(name, address.ToString(), address.AddressFamily == AddressFamily.InterNetworkV6));
                if (entries.Count >= max)
                {
                    return entries;
                }
            }
        }
        return entries;
    }
}
