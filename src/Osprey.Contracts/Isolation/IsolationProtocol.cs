namespace Osprey.Contracts.Isolation;

/// <summary>The protocols an isolation exclusion can name.</summary>
public enum IsolationProtocol
{
    Any,
    Tcp,
    Udp,
    Icmp,
}
