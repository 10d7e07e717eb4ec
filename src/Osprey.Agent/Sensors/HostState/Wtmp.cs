namespace Osprey.Agent.Sensors.HostState;

/// <summary>Reads whole utmp / wtmp records from a file, bounded; a torn record at the end is left for the next read.</summary>
public static class Wtmp
{
    /// <summary>Reads the records between <paramref name="offset"/> and the end, at most <paramref name="maxBytes"/>; returns the offset after the last whole record.</summary>
    public static long ReadFrom(string path, long offset, long maxBytes, List<UtmpRecord> records)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length <= offset)
            {
                return offset;
            }
            var available = Math.Min(length - offset, maxBytes);
            var whole = available - available % UtmpRecord.Size;
            var buffer = new byte[UtmpRecord.Size * 64];
            var position = offset;
            while (position < offset + whole)
            {
                var want = (int)Math.Min(buffer.Length, offset + whole - position);
                var n = RandomAccess.Read(handle, buffer.AsSpan(0, want), position);
                n -= n % UtmpRecord.Size;
                if (n <= 0)
                {
                    break;
                }
                for (var i = 0; i < n; i += UtmpRecord.Size)
                {
                    if (UtmpRecord.TryParse(buffer.AsSpan(i, UtmpRecord.Size), out var record))
                    {
                        records.Add(record!);
                    }
                }
                position += n;
            }
            return position;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return offset;
        }
    }

    /// <summary>The last records of a file (up to <paramref name="maxBytes"/> from the end), oldest first.</summary>
    public static List<UtmpRecord> ReadTail(string path, long maxBytes)
    {
        var records = new List<UtmpRecord>();
        long length;
        try
        {
            length = new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return records;
        }
        var whole = length - length % UtmpRecord.Size;
        var start = Math.Max(0, whole - (maxBytes - maxBytes % UtmpRecord.Size));
        ReadFrom(path, start, whole - start, records);
        return records;
    }
}
