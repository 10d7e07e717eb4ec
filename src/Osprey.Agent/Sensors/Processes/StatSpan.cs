using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Parses the fields the reader thread needs from /proc/PID/stat bytes, without allocating.</summary>
internal static class StatSpan
{
    /// <summary>PF_KTHREAD in the flags field.</summary>
    public const uint KernelThreadFlag = 0x00200000;

    // Fields after "pid (comm) ": state is index 0, flags (field 9) index 6, starttime (field 22) index 19.
    private const int FlagsIndex = 6;
    private const int StartTimeIndex = 19;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParse(ReadOnlySpan<byte> stat, out long startTicks, out uint flags)
    {
        startTicks = -1;
        flags = 0;
        // comm may hold spaces and parentheses; it ends at the last ')'.
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 > stat.Length)
        {
            return false;
        }
        var rest = stat[(close + 2)..];
        for (var index = 0; index <= StartTimeIndex; index++)
        {
            var space = rest.IndexOf((byte)' ');
            var field = space < 0 ? rest : rest[..space];
            if (index == FlagsIndex && !Utf8Parser.TryParse(field, out flags, out _))
            {
                return false;
            }
            if (index == StartTimeIndex)
            {
                return Utf8Parser.TryParse(field, out startTicks, out _);
            }
            if (space < 0)
            {
                return false;
            }
            rest = rest[(space + 1)..];
        }
        return false;
    }
}
