using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>lseek(fd, 0, SEEK_END): the size of an open block device, which stat reports as 0.</summary>
internal static partial class FileEnd
{
    private const int SeekEnd = 2;

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LseekNative(int fd, long offset, int whence);

    /// <summary>The offset of the end of <paramref name="file"/>; -1 with the errno when it has none.</summary>
    public static long Of(SafeHandle file, out int errno)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var end = LseekNative((int)file.DangerousGetHandle(), 0, SeekEnd);
            errno = end < 0 ? Marshal.GetLastPInvokeError() : 0;
            return end;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }
}
