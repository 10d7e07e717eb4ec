using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>A tmpfs the test mounts under /tmp (so a filesystem mark sees only the test's own files), unmounted when disposed.</summary>
internal sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static async Task<TmpfsMount> CreateAsync()
    {
        Root.Require();
        var path = Directory.CreateTempSubdirectory("osprey-file-tmpfs-").FullName;
        var result = await CommandRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0755", "osprey-test", path], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"mounting a tmpfs on {path} failed: {result}");
        return new TmpfsMount(path);
    }

    public async ValueTask DisposeAsync()
    {
        // The sensor has stopped (its harness is disposed first), so nothing holds the mount; lazily as a last resort.
        var result = await CommandRunner.RunAsync("umount", [Path], timeout: TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            await CommandRunner.RunAsync("umount", ["-l", Path], timeout: TimeSpan.FromSeconds(30));
        }
        Directory.Delete(Path);
    }
}

/// <summary>Tests that need root (fanotify, mount) fail with this message when they do not have it.</summary>
internal static class Root
{
    public static void Require() =>
        Assert.True(Environment.IsPrivilegedProcess, "this test needs root (fanotify_init needs CAP_SYS_ADMIN, mount needs CAP_SYS_ADMIN): run the tests as root");
}
