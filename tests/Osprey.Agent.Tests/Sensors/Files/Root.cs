namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>Tests that need root (fanotify, mount) fail with this message when they do not have it.</summary>
internal static class Root
{
    public static void Require() =>
        Assert.True(Environment.IsPrivilegedProcess, "this test needs root (fanotify_init needs CAP_SYS_ADMIN, mount needs CAP_SYS_ADMIN): run the tests as root");
}
