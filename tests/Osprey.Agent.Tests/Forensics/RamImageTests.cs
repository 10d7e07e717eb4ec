using System.Buffers.Binary;
using Osprey.Agent.Forensics;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Forensics;

/// <summary>
/// The RAM image from a kcore-shaped ELF file and an iomem listing the test writes (the machines tests run on may have
/// no /proc/kcore): physical addresses from p_paddr, LiME records, raw offsets, the bound, unreadable ranges.
/// </summary>
public sealed class RamImageTests
{
    private const string Iomem = """
        00000000-00000fff : Reserved
        00001000-00002fff : System RAM
          00001000-00001fff : Kernel code
        00003000-00003fff : Reserved
        00004000-00004fff : System RAM
        00008000-00008fff : System RAM
        fec00000-fec003ff : IOAPIC 0

        """;

    [Fact]
    public void Lime_HasARecordPerSystemRamRange_WithTheBytesAtTheirPhysicalAddresses()
    {
        using var dir = new TempDirectory("osprey-ram");
        var (kcore, physical) = WriteKcore(dir.Path);
        using var memory = Open(dir.Path, kcore);
        Assert.Equal(kcore, memory.Source);

        var output = Path.Combine(dir.Path, "ram.lime");
        var outcome = RamImageWriter.Write(memory, lime: true, output, 1L << 30, TestContext.Current.CancellationToken);

        var image = File.ReadAllBytes(output);
        Assert.False(outcome.Truncated);
        Assert.Equal(image.Length, outcome.Bytes);
        Assert.Equal(3 * 32 + 0x2000 + 0x1000 + 0x1000, image.Length);
        var at = 0;
        foreach (var (start, last) in new[] { (0x1000UL, 0x2fffUL), (0x4000UL, 0x4fffUL), (0x8000UL, 0x8fffUL) })
        {
            Assert.Equal(RamImageWriter.LimeMagic, BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(at)));
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(at + 4)));
            Assert.Equal(start, BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(at + 8)));
            Assert.Equal(last, BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(at + 16)));
            var data = image.AsSpan(at + 32, (int)(last - start + 1));
            if (start < 0x6000)
            {
                Assert.True(data.SequenceEqual(physical.AsSpan((int)start, data.Length)), $"the bytes of 0x{start:x} are not those at that physical address");
            }
            else
            {
                // Not in any kcore segment: zeros, and said so.
                Assert.True(data.IndexOfAnyExcept((byte)0) < 0);
            }
            at += 32 + data.Length;
        }
        var unread = Assert.Single(outcome.Ranges, r => r.Reason.Length > 0);
        Assert.Equal((0x8000UL, 0x9000UL), (unread.Start, unread.End));
    }

    [Fact]
    public void Raw_PutsEachByteAtItsPhysicalOffset_AndTheBoundCutsIt()
    {
        using var dir = new TempDirectory("osprey-ram");
        var (kcore, physical) = WriteKcore(dir.Path);
        using var memory = Open(dir.Path, kcore);

        var raw = Path.Combine(dir.Path, "ram.raw");
        var outcome = RamImageWriter.Write(memory, lime: false, raw, 0x5800, TestContext.Current.CancellationToken);

        var image = File.ReadAllBytes(raw);
        Assert.True(outcome.Truncated);
        Assert.Equal(0x5000, image.Length); // the third range starts past the bound
        Assert.True(image.AsSpan(0x1000, 0x2000).SequenceEqual(physical.AsSpan(0x1000, 0x2000)));
        Assert.True(image.AsSpan(0x4000, 0x1000).SequenceEqual(physical.AsSpan(0x4000, 0x1000)));
        Assert.True(image.AsSpan(0x3000, 0x1000).IndexOfAnyExcept((byte)0) < 0, "a hole between ranges is not zero");
    }

    [Fact]
    public void Open_WithoutKcoreOrDevMem_SaysWhy()
    {
        using var dir = new TempDirectory("osprey-ram");
        File.WriteAllText(Path.Combine(dir.Path, "iomem"), Iomem);
        var memory = PhysicalMemory.Open(
            Path.Combine(dir.Path, "kcore"), Path.Combine(dir.Path, "iomem"), Path.Combine(dir.Path, "mem"), Path.Combine(dir.Path, "lockdown"), out var reason);
        Assert.Null(memory);
        Assert.Contains("kcore does not exist (kernel built without CONFIG_PROC_KCORE)", reason, StringComparison.Ordinal);
        Assert.Contains("mem does not exist (kernel built without CONFIG_DEVMEM)", reason, StringComparison.Ordinal);
    }

    private static PhysicalMemory Open(string dir, string kcore)
    {
        File.WriteAllText(Path.Combine(dir, "iomem"), Iomem);
        return PhysicalMemory.Open(kcore, Path.Combine(dir, "iomem"), Path.Combine(dir, "mem"), Path.Combine(dir, "lockdown"), out var reason)
            ?? throw new InvalidOperationException(reason);
    }

    // An ELF file shaped like /proc/kcore: a PT_LOAD of the direct map with p_paddr 0x1000 covering 0x1000-0x5fff,
    // and a vmalloc-like PT_LOAD with no physical address (p_paddr -1). Returns it and the "physical memory" it holds.
    private static (string Path, byte[] Physical) WriteKcore(string dir)
    {
        var physical = new byte[0x10000];
        new Random(11).NextBytes(physical);
        var file = new byte[0x1000 + 0x5000 + 0x1000];
        ElfCore.WriteFileHeader(file, 3);
        ElfCore.WriteProgramHeader(file.AsSpan(64), ElfCore.PtNote, 0, 0x200, 0, 0, 0, 4);
        ElfCore.WriteProgramHeader(file.AsSpan(64 + 56), ElfCore.PtLoad, 7, 0x1000, 0xffff888000001000, 0x5000, 0x5000, 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 56 + 24), 0x1000); // p_paddr
        ElfCore.WriteProgramHeader(file.AsSpan(64 + 112), ElfCore.PtLoad, 7, 0x6000, 0xffffc90000000000, 0x1000, 0x1000, 4096);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(64 + 112 + 24), ulong.MaxValue);
        physical.AsSpan(0x1000, 0x5000).CopyTo(file.AsSpan(0x1000));
        new Random(12).NextBytes(file.AsSpan(0x6000));
        var path = Path.Combine(dir, "kcore");
        File.WriteAllBytes(path, file);
        return (path, physical);
    }
}
