using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>SystemInfoItem: the device itself — names, operating system, kernel, network adapters.</summary>
internal sealed class SystemInfoObject : ScanObject
{
    private readonly Dictionary<string, IReadOnlyList<string>> _terms = new(StringComparer.Ordinal);
    private readonly SystemInfoItem _item;

    private SystemInfoObject(SystemInfoItem item) => _item = item;

    public override string Document => "SystemInfoItem";

    protected override IReadOnlyList<string>? Term(string term) => _terms.GetValueOrDefault(term);

    public override IocObject ToProto() => new() { SystemInfo = _item.Clone() };

    /// <summary>Reads the device: /proc/sys/kernel (host name, domain, kernel), the OS as the agent reports it, the network interfaces.</summary>
    public static SystemInfoObject Read()
    {
        var fullName = ReadTrimmed("/proc/sys/kernel/hostname");
        var dot = fullName.IndexOf('.', StringComparison.Ordinal);
        var host = dot > 0 ? fullName[..dot] : fullName;
        var domain = ReadTrimmed("/proc/sys/kernel/domainname") is { Length: > 0 } d && d != "(none)" ? d : dot > 0 ? fullName[(dot + 1)..] : "";
        var (osName, osVersion) = Hosting.HostInfo.ReadOsRelease();
        var item = new SystemInfoItem { HostName = host, Domain = domain, OsName = osName, OsVersion = osVersion };
        var info = new SystemInfoObject(item);
        info.Set("hostname", host);
        info.Set("domain", domain);
        info.Set("os", item.OsName);
        info.Set("productname", $"{osName} {osVersion}");
        info.Set("version", item.OsVersion);
        info.Set("kernelversion", ReadTrimmed("/proc/sys/kernel/osrelease"));
        info.Set("platform", "linux");
        info.Set("machine", RuntimeInformation.OSArchitecture switch { Architecture.X64 => "x86_64", Architecture.Arm64 => "aarch64", var a => a.ToString().ToLowerInvariant() });
        var adapters = new List<string>();
        var macs = new List<string>();
        var ipv4 = new List<string>();
        var ipv6 = new List<string>();
        foreach (var adapter in NetworkInterface.GetAllNetworkInterfaces().Where(a => a.NetworkInterfaceType != NetworkInterfaceType.Loopback))
        {
            adapters.Add(adapter.Name);
            var mac = adapter.GetPhysicalAddress().GetAddressBytes();
            if (mac.Length > 0)
            {
                macs.Add(string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))));
            }
            foreach (var address in adapter.GetIPProperties().UnicastAddresses)
            {
                (address.Address.AddressFamily == AddressFamily.InterNetworkV6 ? ipv6 : ipv4).Add(address.Address.ToString());
            }
        }
        info.Set("networkarray/networkinfo/adapter", adapters);
        info.Set("networkarray/networkinfo/mac", macs);
        info.Set("mac", macs);
        info.Set("networkarray/networkinfo/iparray/ipinfo/ipaddress", ipv4);
        info.Set("networkarray/networkinfo/iparray/ipinfo/ipv6address", ipv6);
        info.Set("primaryipv4address", ipv4.Take(1).ToList());
        info.Set("primaryipv6address", ipv6.Take(1).ToList());
        return info;
    }

    private void Set(string term, string value)
    {
        if (value.Length > 0)
        {
            _terms[term] = [value];
        }
    }

    private void Set(string term, List<string> values)
    {
        if (values.Count > 0)
        {
            _terms[term] = values;
        }
    }

    private static string ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
