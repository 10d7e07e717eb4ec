using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Follows an append-only file (wtmp, a syslog file) by offset and identity: a replaced file (rotation) or a
/// truncated one is read again from its start; more new data than the bound is skipped and reported.
/// </summary>
internal sealed class FileTail(string path, long maxBytes)
{
    private (ulong Device, ulong Inode)? _identity;

    public string Path => path;

    public long Offset { get; private set; }

    /// <summary>Starts at the current end of the file (what is already there is history, not news).</summary>
    public void SkipToEnd(int unit)
    {
        var status = Libc.Stat(path, followLinks: true, out _);
        _identity = status is null ? null : (status.Device, status.Inode);
        Offset = status is null ? 0 : status.Size - status.Size % unit;
    }

    /// <summary>
    /// The bytes appended since the last read (whole units only are consumed by the caller, which returns how
    /// many bytes it used); <paramref name="skipped"/> counts bytes jumped over because there were too many.
    /// </summary>
    public byte[] ReadNew(out long skipped)
    {
        skipped = 0;
        var status = Libc.Stat(path, followLinks: true, out _);
        if (status is null)
        {
            _identity = null;
            Offset = 0;
            return [];
        }
        if (_identity != (status.Device, status.Inode) || status.Size < Offset)
        {
            // A new file took the name (rotation, re-creation) or this one was truncated: all of it is new.
            _identity = (status.Device, status.Inode);
            Offset = 0;
        }
        var available = status.Size - Offset;
        if (available <= 0)
        {
            return [];
        }
        if (available > maxBytes)
        {
            skipped = available - maxBytes;
            Offset += skipped;
            available = maxBytes;
        }
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[available];
            var total = 0;
            while (total < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(total), Offset + total);
                if (n <= 0)
                {
                    break;
                }
                total += n;
            }
            return total == buffer.Length ? buffer : buffer[..total];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Marks bytes as consumed; a torn record or line at the end stays for the next read.</summary>
    public void Advance(long bytes) => Offset += bytes;
}
