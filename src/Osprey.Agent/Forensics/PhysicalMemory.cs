using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Forensics;

/// <summary>
/// Where the kernel lets physical memory be read: /proc/kcore (an ELF file of kernel memory whose PT_LOAD segments of
/// RAM carry their physical address in p_paddr, since Linux 4.19) or /dev/mem (read at physical offsets; without
/// STRICT_DEVMEM). RAM is what /proc/iomem calls "System RAM". Reading device ranges is never attempted.
/// </summary>
internal sealed class PhysicalMemory : IDisposable
{
    private const ulong NoAddress = ulong.MaxValue;
    private readonly SafeFileHandle _file;
    private readonly IReadOnlyList<(ulong Physical, ulong Bytes, long Offset)> _segments;

    private PhysicalMemory(string source, SafeFileHandle file, IReadOnlyList<(ulong, ulong, long)> segments, IReadOnlyList<MemoryRange> ram)
    {
        Source = source;
        _file = file;
        _segments = segments;
        Ram = ram;
    }

    /// <summary>"/proc/kcore" or "/dev/mem".</summary>
    public string Source { get; }

    /// <summary>The System RAM ranges (physical, end exclusive), in order.</summary>
    public IReadOnlyList<MemoryRange> Ram { get; }

    /// <summary>Opens the first source the kernel allows; null with the reasons each is not usable.</summary>
    public static PhysicalMemory? Open(string kcore, string iomem, string devMem, string lockdown, out string reason)
    {
        var reasons = new List<string>();
        List<MemoryRange> ram;
        try
        {
            ram = SystemRam(File.ReadAllText(iomem));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = $"{iomem} cannot be read: {e.Message}";
            return null;
        }
        if (ram.Count == 0 || ram.All(r => r.Start == 0 && r.End <= 1))
        {
            reason = $"{iomem} lists no System RAM addresses (they show as zeros without CAP_SYS_ADMIN)";
            return null;
        }
        var locked = File.Exists(lockdown) ? File.ReadAllText(lockdown).Trim() : "";
        var lockdownNote = locked.Contains("[integrity]", StringComparison.Ordinal) || locked.Contains("[confidentiality]", StringComparison.Ordinal)
            ? $" (kernel lockdown: {locked})" : "";

        if (!File.Exists(kcore))
        {
            reasons.Add($"{kcore} does not exist (kernel built without CONFIG_PROC_KCORE)");
        }
        else if (TryOpen(kcore, reasons, lockdownNote) is { } file)
        {
            var segments = KcoreSegments(file);
            if (segments.Count > 0)
            {
                reason = "";
                return new PhysicalMemory(kcore, file, segments, ram);
            }
            file.Dispose();
            reasons.Add($"{kcore} gives no physical addresses for its segments (a kernel older than 4.19)");
        }

        if (!File.Exists(devMem))
        {
            reasons.Add($"{devMem} does not exist (kernel built without CONFIG_DEVMEM)");
        }
        else if (TryOpen(devMem, reasons, lockdownNote) is { } mem)
        {
            // STRICT_DEVMEM lets /dev/mem read only the first MiB and device ranges: probe RAM above it.
            var probe = ram.FirstOrDefault(r => r.End > 0x100000) ?? ram[0];
            var at = Math.Max(probe.Start, 0x100000);
            try
            {
                RandomAccess.Read(mem, new byte[4096], (long)at);
                reason = "";
                return new PhysicalMemory(devMem, mem, [(0, ulong.MaxValue >> 1, 0)], ram);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                mem.Dispose();
                reasons.Add($"{devMem} refuses to read RAM (CONFIG_STRICT_DEVMEM){lockdownNote}: {e.Message}");
            }
        }
        reason = string.Join("; ", reasons);
        return null;
    }

    /// <summary>Reads physical memory at <paramref name="physical"/>; false when no segment covers it or the read fails.</summary>
    public bool TryRead(ulong physical, Span<byte> target)
    {
        foreach (var (start, bytes, offset) in _segments)
        {
            if (physical >= start && physical - start + (ulong)target.Length <= bytes)
            {
                try
                {
                    var position = offset + (long)(physical - start);
                    var done = 0;
                    while (done < target.Length)
                    {
                        var read = RandomAccess.Read(_file, target[done..], position + done);
                        if (read == 0)
                        {
                            return false;
                        }
                        done += read;
                    }
                    return true;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return false;
                }
            }
        }
        return false;
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Top-level "System RAM" lines of /proc/iomem ("00100000-bfffffff : System RAM"), end made exclusive.</summary>
    internal static List<MemoryRange> SystemRam(string iomem)
    {
        var ranges = new List<MemoryRange>();
        foreach (var line in iomem.Split('\n'))
        {
            if (line.StartsWith(' ') || !line.EndsWith(" : System RAM", StringComparison.Ordinal))
            {
                continue;
            }
            var bounds = line[..line.IndexOf(' ', StringComparison.Ordinal)].Split('-');
            if (bounds.Length == 2
                && ulong.TryParse(bounds[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(bounds[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var last) && last >= start)
            {
                ranges.Add(new MemoryRange { Start = start, End = last + 1, Path = "System RAM" });
            }
        }
        return ranges;
    }

    private static SafeFileHandle? TryOpen(string path, List<string> reasons, string lockdownNote)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reasons.Add($"{path} cannot be opened{lockdownNote}: {e.Message}");
            return null;
        }
    }

    // The PT_LOAD segments of /proc/kcore that name a physical address: (p_paddr, p_filesz, p_offset).
    private static List<(ulong, ulong, long)> KcoreSegments(SafeFileHandle file)
    {
        var header = new byte[64];
        if (RandomAccess.Read(file, header, 0) < 64 || !header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8) || header[4] != 2)
        {
            return [];
        }
        var phoff = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
        if (phentsize < ElfCore.ProgramHeaderBytes || phnum == 0)
        {
            return [];
        }
        var table = new byte[phentsize * phnum];
        if (RandomAccess.Read(file, table, phoff) < table.Length)
        {
            return [];
        }
        var segments = new List<(ulong, ulong, long)>();
        for (var i = 0; i < phnum; i++)
        {
            var entry = table.AsSpan(i * phentsize, phentsize);
            var physical = BinaryPrimitives.ReadUInt64LittleEndian(entry[24..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) == ElfCore.PtLoad && physical != NoAddress && physical != 0)
            {
                segments.Add((physical, BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]), BinaryPrimitives.ReadInt64LittleEndian(entry[8..])));
            }
        }
        return segments;
    }
}
