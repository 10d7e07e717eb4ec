using System.Diagnostics;
using System.Security.Cryptography;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.Hashing;

public sealed class FileHasherTests
{
    [Fact]
    public void TryHash_ByPath_AnswersARepeatFromTheCacheAndAChangedFileAfresh()
    {
        using var directory = new TempDirectory("osprey-hasher");
        var path = Path.Combine(directory.Path, "program");
        File.WriteAllBytes(path, "first content"u8.ToArray());
        var hasher = new FileHasher(1 << 20);

        var first = hasher.TryHash(path);
        var again = hasher.TryHash(path);
        File.WriteAllBytes(path, "second, longer content"u8.ToArray());
        var changed = hasher.TryHash(path);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("first content"u8)), first!.Sha256);
        Assert.Equal(first.Sha256, again!.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("second, longer content"u8)), changed!.Sha256);
        Assert.Equal(22, changed.Status.Size);
        Assert.Equal((1L, 2L), (hasher.CacheHits, hasher.CacheMisses));
    }

    [Fact]
    public void TryHash_OfADirectoryAMissingPathAFifoOrAFileOverTheBound_IsNull()
    {
        using var directory = new TempDirectory("osprey-hasher");
        var fifo = Path.Combine(directory.Path, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var large = Path.Combine(directory.Path, "large");
        File.WriteAllBytes(large, new byte[2048]);
        var hasher = new FileHasher(1024);

        Assert.Null(hasher.TryHash(directory.Path));
        Assert.Null(hasher.TryHash(Path.Combine(directory.Path, "missing")));
        // Opening a FIFO for reading would wait for a writer: it is never opened.
        Assert.Null(hasher.TryHash(fifo));
        Assert.Null(hasher.TryHash(large));
    }
}
