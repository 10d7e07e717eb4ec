namespace Osprey.Agent.Tests.Sensors.Network;

internal static class Root
{
    /// <summary>Fails (never skips) the test when it does not run as root: sock_diag owners, /proc/PID/fd and AF_PACKET need it.</summary>
    public static void Require() =>
        Assert.True(Environment.IsPrivilegedProcess, "this test reads other processes' sockets and captures packets: run the tests as root");
}
