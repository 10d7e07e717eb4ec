using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>ArpEntryItem: an entry of the neighbour table.</summary>
internal sealed class ArpObject(Neighbour entry) : ScanObject
{
    public override string Document => "ArpEntryItem";

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "ipv4address" => entry.IsIpv6 ? null : One(entry.Address),
        "ipv6address" => entry.IsIpv6 ? One(entry.Address) : null,
        "physicaladdress" => One(entry.PhysicalAddress),
        "interface" => One(entry.Interface),
        "state" => One(entry.State),
        "isrouter" => One(entry.IsRouter ? "true" : "false"),
        _ => null,
    };

    public override IocObject ToProto() => new()
    {
        ArpEntry = new ArpEntryItem { IpAddress = entry.Address, PhysicalAddress = entry.PhysicalAddress, InterfaceName = entry.Interface },
    };
}
