using System.Collections.Frozen;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// The terms an evaluator knows (by search path, case-insensitive). An IndicatorItem on any other term never matches
/// and is listed in the outcome's warnings.
/// </summary>
public sealed class IocTermCatalog
{
    private readonly FrozenDictionary<string, IocTerm> _terms;

    public IocTermCatalog(IEnumerable<IocTerm> terms) =>
        _terms = terms.ToFrozenDictionary(t => t.Search, StringComparer.OrdinalIgnoreCase);

    public IEnumerable<IocTerm> Terms => _terms.Values.OrderBy(t => t.Search, StringComparer.Ordinal);

    public IocTerm? Find(string search) => _terms.GetValueOrDefault(search);

    public bool IsKnown(string search) => _terms.ContainsKey(search);

    /// <summary>The terms of the seven item types an Osprey agent's IOC scan reads from the live system.</summary>
    public static IocTermCatalog Endpoint { get; } = new(
    [
        new("ArpEntryItem/Interface", IocDataType.String),
        new("ArpEntryItem/PhysicalAddress", IocDataType.String),
        new("ArpEntryItem/IPv4Address", IocDataType.Ip),
        new("ArpEntryItem/IPv6Address", IocDataType.Ip),
        new("ArpEntryItem/State", IocDataType.String),
        new("ArpEntryItem/IsRouter", IocDataType.Bool),

        new("DnsEntryItem/Host", IocDataType.String),
        new("DnsEntryItem/RecordName", IocDataType.String),
        new("DnsEntryItem/RecordType", IocDataType.String),
        new("DnsEntryItem/TimeToLive", IocDataType.Int),
        new("DnsEntryItem/RecordData/Host", IocDataType.String),
        new("DnsEntryItem/RecordData/IPv4Address", IocDataType.Ip),
        new("DnsEntryItem/RecordData/IPv6Address", IocDataType.Ip),

        new("FileItem/FullPath", IocDataType.String),
        new("FileItem/FilePath", IocDataType.String),
        new("FileItem/FileName", IocDataType.String),
        new("FileItem/FileExtension", IocDataType.String),
        new("FileItem/SizeInBytes", IocDataType.Int),
        new("FileItem/Created", IocDataType.Date),
        new("FileItem/Modified", IocDataType.Date),
        new("FileItem/Accessed", IocDataType.Date),
        new("FileItem/Changed", IocDataType.Date),
        new("FileItem/Username", IocDataType.String),
        new("FileItem/Group", IocDataType.String),
        new("FileItem/Permissions", IocDataType.String),
        new("FileItem/INode", IocDataType.Int),
        new("FileItem/Md5sum", IocDataType.Md5, Costly: true),
        new("FileItem/Sha1sum", IocDataType.Sha1, Costly: true),
        new("FileItem/Sha256sum", IocDataType.Sha256, Costly: true),

        new("PortItem/pid", IocDataType.Int),
        new("PortItem/process", IocDataType.String),
        new("PortItem/path", IocDataType.String),
        new("PortItem/state", IocDataType.String),
        new("PortItem/localIP", IocDataType.Ip),
        new("PortItem/remoteIP", IocDataType.Ip),
        new("PortItem/localPort", IocDataType.Int),
        new("PortItem/remotePort", IocDataType.Int),
        new("PortItem/protocol", IocDataType.String),
        new("PortItem/isIPv6", IocDataType.Bool),

        new("ProcessItem/pid", IocDataType.Int),
        new("ProcessItem/parentpid", IocDataType.Int),
        new("ProcessItem/UniquePID", IocDataType.String),
        new("ProcessItem/name", IocDataType.String),
        new("ProcessItem/path", IocDataType.String),
        new("ProcessItem/arguments", IocDataType.String),
        new("ProcessItem/Username", IocDataType.String),
        new("ProcessItem/startTime", IocDataType.Date),

        new("SystemInfoItem/hostname", IocDataType.String),
        new("SystemInfoItem/domain", IocDataType.String),
        new("SystemInfoItem/OS", IocDataType.String),
        new("SystemInfoItem/productName", IocDataType.String),
        new("SystemInfoItem/version", IocDataType.String),
        new("SystemInfoItem/kernelVersion", IocDataType.String),
        new("SystemInfoItem/platform", IocDataType.String),
        new("SystemInfoItem/machine", IocDataType.String),
        new("SystemInfoItem/MAC", IocDataType.String),
        new("SystemInfoItem/primaryIpv4Address", IocDataType.Ip),
        new("SystemInfoItem/primaryIpv6Address", IocDataType.Ip),
        new("SystemInfoItem/networkArray/networkInfo/adapter", IocDataType.String),
        new("SystemInfoItem/networkArray/networkInfo/MAC", IocDataType.String),
        new("SystemInfoItem/networkArray/networkInfo/ipArray/ipInfo/ipAddress", IocDataType.Ip),
        new("SystemInfoItem/networkArray/networkInfo/ipArray/ipInfo/ipv6Address", IocDataType.Ip),

        new("UserItem/Username", IocDataType.String),
        new("UserItem/fullname", IocDataType.String),
        new("UserItem/homedirectory", IocDataType.String),
        new("UserItem/shell", IocDataType.String),
        new("UserItem/userid", IocDataType.Int),
    ]);
}
