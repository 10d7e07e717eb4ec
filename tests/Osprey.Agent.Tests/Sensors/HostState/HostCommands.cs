using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Sensors.HostState;

/// <summary>Runs the system tools the host-state tests use to cause real kernel activity.</summary>
internal static class HostCommands
{
    public static void RequireRoot(string why) =>
        Assert.True(Environment.IsPrivilegedProcess, $"this test must run as root: {why}");

    /// <summary>Runs a command and returns its trimmed standard output; fails the test when it exits non-zero.</summary>
    public static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync(file, arguments, timeout: TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {result}");
        return result.Stdout.Trim();
    }

    /// <summary>Runs a cleanup command, ignoring its outcome (the test already failed or passed).</summary>
    public static async Task TryRunAsync(string file, params string[] arguments)
    {
        try
        {
            await CommandRunner.RunAsync(file, arguments, timeout: TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is TimeoutException or System.ComponentModel.Win32Exception)
        {
        }
    }
}
