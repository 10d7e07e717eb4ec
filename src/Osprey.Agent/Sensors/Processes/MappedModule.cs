namespace Osprey.Agent.Sensors.Processes;

/// <summary>One file mapped into a process, gathered from its lines in /proc/PID/maps.</summary>
internal struct MappedModule
{
    public ulong Device;
    public ulong Inode;

    /// <summary>Start of the mapping at file offset 0 (where the ELF header is), else the lowest mapping.</summary>
    public ulong BaseAddress;
    public bool HasOffsetZero;

    /// <summary>Whether any mapping of the file is executable.</summary>
    public bool Executable;

    /// <summary>Address range of one mapping, which names the file under /proc/PID/map_files.</summary>
    public ulong RangeStart;
    public ulong RangeEnd;

    /// <summary>Where the path is in the maps text.</summary>
    public int PathStart;
    public int PathLength;
}
