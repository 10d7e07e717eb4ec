using System.Globalization;

namespace Osprey.Agent.Forensics;

/// <summary>One mapping of a process's address space as /proc/PID/smaps shows it, with its VmFlags.</summary>
internal sealed record ProcessMapping(ulong Start, ulong End, string Permissions, ulong Offset, ulong Inode, string Path, IReadOnlySet<string> Flags)
{
    public bool Readable => Permissions.Length > 0 && Permissions[0] == 'r';

    /// <summary>PF_R | PF_W | PF_X from the permissions.</summary>
    public uint ElfFlags => (Readable ? 4u : 0) | (Permissions.Length > 1 && Permissions[1] == 'w' ? 2u : 0) | (Permissions.Length > 2 && Permissions[2] == 'x' ? 1u : 0);

    /// <summary>
    /// Device memory (VM_IO, VM_PFNMAP): reading it could reach hardware registers, and the kernel's own core dumps
    /// leave it out too.
    /// </summary>
    public bool IsDeviceMemory => Flags.Contains("io") || Flags.Contains("pf");

    /// <summary>Mapped from a file (the path names one, not "[heap]" or an anonymous mapping).</summary>
    public bool IsFile => Inode != 0 && Path.StartsWith('/');

    /// <summary>Parses smaps text; lines of another shape are skipped.</summary>
    public static List<ProcessMapping> ParseSmaps(string text)
    {
        var mappings = new List<ProcessMapping>();
        (ulong Start, ulong End, string Permissions, ulong Offset, ulong Inode, string Path)? current = null;
        HashSet<string> flags = [];
        foreach (var line in text.Split('\n'))
        {
            if (TryParseHeader(line, out var header))
            {
                if (current is { } done)
                {
                    mappings.Add(new ProcessMapping(done.Start, done.End, done.Permissions, done.Offset, done.Inode, done.Path, flags));
                }
                current = header;
                flags = [];
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                flags = line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            }
        }
        if (current is { } last)
        {
            mappings.Add(new ProcessMapping(last.Start, last.End, last.Permissions, last.Offset, last.Inode, last.Path, flags));
        }
        return mappings;
    }

    // "7f2c4a000000-7f2c4a021000 rw-p 00000000 00:00 0                          [heap]"
    private static bool TryParseHeader(string line, out (ulong, ulong, string, ulong, ulong, string) header)
    {
        header = default;
        var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 5)
        {
            return false;
        }
        var range = parts[0].Split('-');
        if (range.Length != 2
            || !ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
            || parts[1].Length != 4
            || !ulong.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var offset)
            || !ulong.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
        {
            return false;
        }
        header = (start, end, parts[1], offset, inode, parts.Length > 5 ? parts[5].Trim() : "");
        return true;
    }
}
