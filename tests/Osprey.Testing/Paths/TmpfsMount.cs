using Osprey.Testing.Processes;

namespace Osprey.Testing.Paths;

/// <summary>A tmpfs the test mounts under /tmp (so a filesystem mark sees only the test's own files), unmounted when disposed.</summary>
public sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public static async Task<TmpfsMount> CreateAsync(string prefix = "osprey-file-tmpfs-")
    {
        RootCheck.Require();
        var path = Directory.CreateTempSubdirectory(prefix).FullName;
        var result = await CommandRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=64m,mode=0755", "osprey-test", path], timeout: TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            Directory.Delete(path);
            throw new InvalidOperationException($"mounting a tmpfs on {path} failed: {result}");
        }
        return new TmpfsMount(path);
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever used the mount has stopped by now; unmounted lazily as a last resort.
        var result = await CommandRunner.RunAsync("umount", [Path], timeout: TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
        {
            await CommandRunner.RunAsync("umount", ["-l", Path], timeout: TimeSpan.FromSeconds(30));
        }
        Directory.Delete(Path);
    }
}

