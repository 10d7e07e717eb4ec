using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Reflection;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Hosting;

/// <summary>What the agent says about its device: in every sync (DeviceInfo) and in every event (DeviceRef).</summary>
public sealed class HostInfo(string agentId, ProcessIdentity identity, TimeProvider time)
{
    private readonly (string Name, string Version) _os = ReadOsRelease();

    public static string AgentVersion { get; } =
        typeof(HostInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public string AgentId => agentId;

    public DeviceRef DeviceRef(string? ip) => new()
    {
        AgentId = agentId,
        HostName = Environment.MachineName,
        OsName = _os.Name,
        OsVersion = _os.Version,
        OsFamily = OsFamily.Linux,
        Ip = ip ?? "",
    };

    public DeviceInfo DeviceInfo(string nodeAddress)
    {
        var now = time.GetLocalNow();
        var info = new DeviceInfo
        {
            AgentId = agentId,
            HostName = Environment.MachineName,
            OsName = _os.Name,
            OsVersion = _os.Version,
            OsFamily = OsFamily.Linux,
            AgentVersion = AgentVersion,
            LocalTimeUs = now.ToUnixTimeMilliseconds() * 1000,
            UtcOffsetMinutes = (int)now.Offset.TotalMinutes,
            LicenceStatus = "open-source",
            BootTimeUs = identity.BootTimeUs,
            BootId = identity.BootId,
            NodeAddress = BaseAddress(nodeAddress),
        };
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }
            info.IpAddresses.AddRange(nic.GetIPProperties().UnicastAddresses
                .Where(a => a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Select(a => a.Address.ToString()));
            var mac = nic.GetPhysicalAddress().GetAddressBytes();
            if (mac.Length == 6 && mac.Any(b => b != 0))
            {
                info.MacAddresses.Add(string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))));
            }
        }
        return info;
    }

    /// <summary>The first non-loopback IPv4 address, the one events carry as the host's.</summary>
    public static string? PrimaryIp() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(a => a.Address)
        .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)?.ToString();

    /// <summary>The scheme, host and port of a node URL (its "base part").</summary>
    private static string BaseAddress(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : url;

    internal static (string Name, string Version) ReadOsRelease()
    {
        string name = "Linux", version = Environment.OSVersion.Version.ToString();
        try
        {
            foreach (var line in File.ReadLines("/etc/os-release"))
            {
                if (line.StartsWith("NAME=", StringComparison.Ordinal))
                {
                    name = line[5..].Trim('"');
                }
                else if (line.StartsWith("VERSION_ID=", StringComparison.Ordinal))
                {
                    version = line[11..].Trim('"');
                }
            }
        }
        catch (IOException)
        {
        }
        return (name, version);
    }
}
