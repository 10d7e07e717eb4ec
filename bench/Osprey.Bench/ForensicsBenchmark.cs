using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Osprey.Agent.Forensics;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Uplink;
using Osprey.Testing.Paths;

namespace Osprey.Bench;

/// <summary>
/// forensics: disk-image and memory-dump as the agent's executors do them. A random file streamed through the hashing
/// view into a real node's Storage (MiB/s, the hash and the send pass included); a child process holding a known
/// allocation dumped as an ELF core (its threads stopped, every readable mapping copied) and the core uploaded.
/// </summary>
public static class ForensicsBenchmark
{
    public static Command Command()
    {
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 256, Description = "Size of the file imaged (MiB)" };
        var dump = new Option<int>("--dump-mb") { DefaultValueFactory = _ => 256, Description = "Memory the dumped process allocates and touches (MiB)" };
        var hold = new Option<int>("--hold-mb") { Hidden = true, Description = "Be the process that holds memory to be dumped" };
        var command = new Command("forensics", "disk-image MiB/s into Storage, memory-dump time and MiB/s of a process with a known allocation") { size, dump, hold };
        command.SetAction((parse, ct) => parse.GetValue(hold) > 0 ? HoldAsync(parse.GetValue(hold)) : RunAsync(parse.GetValue(size), parse.GetValue(dump), ct));
        return command;
    }

    private static async Task<int> RunAsync(int sizeMb, int dumpMb, CancellationToken cancellationToken)
    {
        if (Environment.UserName != "root")
        {
            await Console.Error.WriteLineAsync("forensics: run as root (the dump stops another process with ptrace)").ConfigureAwait(false);
            return 1;
        }
        using var dir = new TempDirectory("osprey-bench-forensics");
        await using var storage = await BenchStorage.StartAsync(new ObjectUploaderOptions(), cancellationToken);

        var disk = Path.Combine(dir.Path, "disk.img");
        await StorageUploadBenchmark.WriteRandomFileAsync(disk, (long)sizeMb << 20, cancellationToken);
        var clock = Stopwatch.StartNew();
        var imaged = await UploadAsync(storage, disk, "disk-image", cancellationToken);
        var imageSeconds = clock.Elapsed.TotalSeconds;
        if (imaged is null)
        {
            return 1;
        }
        Figures.Print("disk_image_size", sizeMb, "MiB");
        Figures.Print("disk_image_seconds", imageSeconds, "s");
        Figures.Print("disk_image_rate", sizeMb / imageSeconds, "MiB/s");

        var start = new ProcessStartInfo(Environment.ProcessPath!, ["forensics", "--hold-mb", dumpMb.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var holder = Process.Start(start)!;
        try
        {
            if (await holder.StandardOutput.ReadLineAsync(cancellationToken) != "ready")
            {
                await Console.Error.WriteLineAsync("forensics: the process to dump did not start").ConfigureAwait(false);
                return 1;
            }
            var stat = ProcFs.ReadStat(holder.Id)!;
            var core = Path.Combine(dir.Path, "holder.core");
            clock.Restart();
            var outcome = await CoreDump.WriteAsync(holder.Id, stat.StartTicks, core, 16L << 30, cancellationToken);
            var dumpSeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            if (await UploadAsync(storage, core, "memory-dump", cancellationToken) is null)
            {
                return 1;
            }
            var uploadSeconds = clock.Elapsed.TotalSeconds;
            var memoryMb = outcome.MemoryBytes / (double)(1 << 20);
            Figures.Print("memory_dump_allocation", dumpMb, "MiB");
            Figures.Print("memory_dump_memory", memoryMb, "MiB");
            Figures.Print("memory_dump_core_file", new FileInfo(core).Length / (double)(1 << 20), "MiB");
            Figures.Print("memory_dump_segments", outcome.Segments, "segments");
            Figures.Print("memory_dump_seconds", dumpSeconds, "s");
            Figures.Print("memory_dump_rate", memoryMb / dumpSeconds, "MiB/s");
            Figures.Print("memory_dump_upload_seconds", uploadSeconds, "s");
            Figures.Print("memory_dump_total_seconds", dumpSeconds + uploadSeconds, "s");
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync(CancellationToken.None);
        }
        return 0;
    }

    // Through the same hashing view the executors upload with; checks the node holds what was read.
    private static async Task<string?> UploadAsync(BenchStorage storage, string path, string kind, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path);
        using var content = new HashingReadStream(handle, RandomAccess.GetLength(handle));
        var sha256 = await storage.Uploader.UploadAsync(content, Path.GetFileName(path), null, kind, cancellationToken);
        if (content.Completed?.Sha256 != sha256 || await storage.StoredSizeAsync(sha256, cancellationToken) != content.Length)
        {
            await Console.Error.WriteLineAsync($"forensics: the node does not hold {path} as read").ConfigureAwait(false);
            return null;
        }
        return sha256;
    }

    // The dumped process: allocates and touches the memory, says so, and waits until its input closes (or it is killed).
    private static async Task<int> HoldAsync(int megabytes)
    {
        var memory = new byte[(long)megabytes << 20];
        new Random(3).NextBytes(memory);
        Console.WriteLine("ready");
        await Console.Out.FlushAsync();
        await Console.In.ReadLineAsync();
        GC.KeepAlive(memory);
        return 0;
    }
}
