using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using Osprey.Agent.Uplink;
using Osprey.Testing.Paths;

namespace Osprey.Bench;

/// <summary>
/// storage-upload: a file uploaded into Storage by the agent's ObjectUploader (hash pass, then chunks with their
/// SHA-256 over mutual TLS on loopback) to a real node process that verifies and commits it.
/// </summary>
public static class StorageUploadBenchmark
{
    public static Command Command()
    {
        var size = new Option<int>("--size-mb") { DefaultValueFactory = _ => 1024, Description = "Size of the file uploaded (MiB)" };
        var chunk = new Option<int>("--chunk-mb") { DefaultValueFactory = _ => 4, Description = "Chunk size (MiB)" };
        var command = new Command("storage-upload", "MiB/s of uploading a file through the agent's uploader into a node's Storage over loopback TLS") { size, chunk };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(size), parse.GetValue(chunk), ct));
        return command;
    }

    private static async Task<int> RunAsync(int sizeMb, int chunkMb, CancellationToken cancellationToken)
    {
        using var dir = new TempDirectory("osprey-bench-storage");
        var path = Path.Combine(dir.Path, "upload.bin");
        await WriteRandomFileAsync(path, (long)sizeMb << 20, cancellationToken);
        await using var storage = await BenchStorage.StartAsync(new ObjectUploaderOptions { ChunkBytes = chunkMb << 20 }, cancellationToken);
        var uploader = storage.Uploader;

        var clock = Stopwatch.StartNew();
        await using (var file = File.OpenRead(path))
        {
            await SHA256.HashDataAsync(file, cancellationToken);
        }
        var hashSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var sha256 = await uploader.UploadAsync(path, "upload.bin", null, cancellationToken);
        var uploadSeconds = clock.Elapsed.TotalSeconds;

        if (await storage.StoredSizeAsync(sha256, cancellationToken) != (long)sizeMb << 20)
        {
            await Console.Error.WriteLineAsync($"storage-upload: the node does not hold {sha256} with {sizeMb} MiB").ConfigureAwait(false);
            return 1;
        }
        Figures.Print("storage_upload_size", sizeMb, "MiB");
        Figures.Print("storage_upload_chunk", chunkMb, "MiB");
        Figures.Print("storage_upload_seconds", uploadSeconds, "s");
        Figures.Print("storage_upload_rate", sizeMb / uploadSeconds, "MiB/s");
        Figures.Print("storage_upload_hash_only_rate", sizeMb / hashSeconds, "MiB/s");
        return 0;
    }

    internal static async Task WriteRandomFileAsync(string path, long size, CancellationToken cancellationToken)
    {
        var block = new byte[4 << 20];
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        for (long written = 0; written < size; written += block.Length)
        {
            RandomNumberGenerator.Fill(block);
            await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, size - written)), cancellationToken);
        }
    }
}
