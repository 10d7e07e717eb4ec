using System.Diagnostics;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// (agent c) Hashing: the agent's MD5+SHA-256 of one file beside `sha256sum` on the same file, both with the
/// file in the page cache (each is run once to warm it, then timed three times; the best run counts).
/// </summary>
public static class HashBenchmark
{
    public static async Task<int> RunAsync(string? file, int sizeMegabytes, CancellationToken cancellationToken)
    {
        var path = file ?? Path.Combine(Path.GetTempPath(), $"osprey-hash-bench-{sizeMegabytes}m.bin");
        var created = false;
        if (!File.Exists(path))
        {
            await WriteRandomAsync(path, (long)sizeMegabytes << 20, cancellationToken);
            created = true;
        }
        try
        {
            var bytes = new FileInfo(path).Length;
            var agent = Best(() =>
            {
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
                FileHasher.Compute(handle);
            });
            var tool = Best(() => CommandRunner.RunAsync("sha256sum", [path], timeout: TimeSpan.FromMinutes(5)).GetAwaiter().GetResult());
            Figures.Print("hash_file_size", bytes / 1048576.0, "MiB");
            Figures.Print("hash_agent_md5_sha256", bytes / 1048576.0 / agent, "MiB/s");
            Figures.Print("hash_sha256sum", bytes / 1048576.0 / tool, "MiB/s");
            Figures.Print("hash_agent_vs_sha256sum", tool / agent, "x");
        }
        finally
        {
            if (created)
            {
                File.Delete(path);
            }
        }
        return 0;
    }

    private static double Best(Action run)
    {
        run();
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static async Task WriteRandomAsync(string path, long size, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        await using var stream = File.Create(path);
        for (long written = 0; written < size; written += buffer.Length)
        {
            Random.Shared.NextBytes(buffer);
            await stream.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - written)), cancellationToken);
        }
    }
}
