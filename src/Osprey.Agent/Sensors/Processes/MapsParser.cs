using System.Buffers.Text;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Parses /proc/PID/maps ("start-end perms offset major:minor inode   path") into one entry per mapped file, without
/// allocating once its collections are warm. Anonymous mappings and pseudo-paths ("[heap]", "[vdso]") are skipped.
/// </summary>
internal sealed class MapsParser
{
    private readonly Dictionary<(ulong Device, ulong Inode), int> _index = [];

    public List<MappedModule> Modules { get; } = [];

    public void Parse(ReadOnlySpan<byte> maps)
    {
        Modules.Clear();
        _index.Clear();
        var position = 0;
        while (position < maps.Length)
        {
            var end = maps[position..].IndexOf((byte)'\n');
            var lineLength = end < 0 ? maps.Length - position : end;
            ParseLine(maps.Slice(position, lineLength), position);
            position += lineLength + 1;
        }
    }

    private void ParseLine(ReadOnlySpan<byte> line, int lineStart)
    {
        // start-end
        if (!Utf8Parser.TryParse(line, out ulong start, out var used, 'x') || used >= line.Length || line[used] != '-')
        {
            return;
        }
        var rest = line[(used + 1)..];
        if (!Utf8Parser.TryParse(rest, out ulong end, out used, 'x') || !Next(ref rest, used))
        {
            return;
        }
        // perms: "r-xp"
        if (rest.Length < 5)
        {
            return;
        }
        var executable = rest[2] == 'x';
        rest = rest[5..];
        if (!Utf8Parser.TryParse(rest, out ulong offset, out used, 'x') || !Next(ref rest, used))
        {
            return;
        }
        // major:minor in hex
        if (!Utf8Parser.TryParse(rest, out uint major, out used, 'x') || used >= rest.Length || rest[used] != ':')
        {
            return;
        }
        rest = rest[(used + 1)..];
        if (!Utf8Parser.TryParse(rest, out uint minor, out used, 'x') || !Next(ref rest, used))
        {
            return;
        }
        if (!Utf8Parser.TryParse(rest, out ulong inode, out used) || inode == 0)
        {
            return;
        }
        rest = rest[used..];
        var spaces = rest.IndexOfAnyExcept((byte)' ');
        if (spaces < 0 || rest[spaces] != '/')
        {
            return;
        }
        var path = rest[spaces..];
        var device = ((ulong)major << 32) | minor;
        var pathStart = lineStart + (line.Length - path.Length);
        if (_index.TryGetValue((device, inode), out var index))
        {
            var module = Modules[index];
            if (offset == 0 && (!module.HasOffsetZero || start < module.BaseAddress))
            {
                module.BaseAddress = start;
                module.HasOffsetZero = true;
            }
            else if (!module.HasOffsetZero && start < module.BaseAddress)
            {
                module.BaseAddress = start;
            }
            if (executable && !module.Executable)
            {
                module.Executable = true;
                module.RangeStart = start;
                module.RangeEnd = end;
            }
            Modules[index] = module;
            return;
        }
        _index[(device, inode)] = Modules.Count;
        Modules.Add(new MappedModule
        {
            Device = device,
            Inode = inode,
            BaseAddress = start,
            HasOffsetZero = offset == 0,
            Executable = executable,
            RangeStart = start,
            RangeEnd = end,
            PathStart = pathStart,
            PathLength = path.Length,
        });
    }

    private static bool Next(ref ReadOnlySpan<byte> rest, int used)
    {
        if (used >= rest.Length || rest[used] != ' ')
        {
            return false;
        }
        rest = rest[(used + 1)..];
        return true;
    }
}
