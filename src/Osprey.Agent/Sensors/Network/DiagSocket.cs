namespace Osprey.Agent.Sensors.Network;

/// <summary>One socket as a sock_diag reply describes it (struct inet_diag_msg), ports in host order.</summary>
public readonly record struct DiagSocket(
    byte Family,
    byte State,
    NetAddress LocalAddress,
    ushort LocalPort,
    NetAddress RemoteAddress,
    ushort RemotePort,
    uint Interface,
    ulong Cookie,
    uint Uid,
    ulong Inode);
