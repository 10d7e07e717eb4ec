using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Osprey.Agent.Quarantine;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Bench;

/// <summary>
/// quarantine: MiB/s of moving a file into the agent's encrypted quarantine store (read, MD5 + SHA-256, AES-256-GCM,
/// fsync) and of restoring it (decrypt, owner/mode/times, fsync, rename), beside a plain copy with fsync of the same
/// file on the same filesystem. The file is freshly written, so its reads come from the page cache.
/// </summary>
public static class QuarantineBenchmark
{
    public static Command Command()
    {
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 256, Description = "Size of the file quarantined and restored (MiB, at most 4096)" };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 3, Description = "Quarantine + restore rounds (1 to 20); the figures are their medians" };
        var command = new Command("quarantine", "MiB/s of quarantining and restoring a file in the agent's encrypted store") { size, runs };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(size), parse.GetValue(runs), ct));
        return command;
    }

    private static async Task<int> RunAsync(int sizeMb, int runs, CancellationToken cancellationToken)
    {
        if (sizeMb is < 1 or > 4096 || runs is < 1 or > 20)
        {
            await Console.Error.WriteLineAsync("quarantine: --size-mb is 1 to 4096 and --runs 1 to 20").ConfigureAwait(false);
            return 2;
        }
        using var dir = new TempDirectory("osprey-bench-quarantine");
        var path = Path.Combine(dir.Path, "sample.bin");
        await StorageUploadBenchmark.WriteRandomFileAsync(path, (long)sizeMb << 20, cancellationToken);
        var sha256 = await Sha256Async(path, cancellationToken);
        var store = new QuarantineStore(Path.Combine(dir.Path, "store"), RandomNumberGenerator.GetBytes(32));
        var request = new QuarantineStore.AddRequest
        {
            Path = path,
            Template = new QuarantineEntry { AgentId = "bench" },
            Describe = (status, _) => new FileMetadata
            {
                Owner = new UserRef { Id = status.Uid.ToString(CultureInfo.InvariantCulture) },
                OwnerGroup = new GroupRef { Id = status.Gid.ToString(CultureInfo.InvariantCulture) },
                Mode = status.Mode & 0xFFF,
            },
        };
        var quarantine = new List<double>();
        var restore = new List<double>();
        var copy = new List<double>();
        for (var run = 0; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            var entry = store.Add(request, cancellationToken);
            quarantine.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
            store.Restore(entry.QuarantineId, null, overwrite: false, cancellationToken);
            restore.Add(clock.Elapsed.TotalSeconds);
            if (entry.Sha256 != sha256)
            {
                await Console.Error.WriteLineAsync($"quarantine: the entry's SHA-256 {entry.Sha256} is not the file's {sha256}").ConfigureAwait(false);
                return 1;
            }
            clock.Restart();
            CopyWithFsync(path, path + ".copy");
            copy.Add(clock.Elapsed.TotalSeconds);
            File.Delete(path + ".copy");
        }
        if (await Sha256Async(path, cancellationToken) != sha256)
        {
            await Console.Error.WriteLineAsync("quarantine: the restored file differs from the original").ConfigureAwait(false);
            return 1;
        }
        Figures.Print("quarantine_size", sizeMb, "MiB");
        Figures.Print("quarantine_runs", runs, "runs");
        Figures.Print("quarantine_add_rate", sizeMb / Median(quarantine), "MiB/s");
        Figures.Print("quarantine_restore_rate", sizeMb / Median(restore), "MiB/s");
        Figures.Print("quarantine_plain_copy_rate", sizeMb / Median(copy), "MiB/s");
        return 0;
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static void CopyWithFsync(string from, string to)
    {
        using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        source.CopyTo(target, 1 << 20);
        target.Flush(flushToDisk: true);
    }
}
