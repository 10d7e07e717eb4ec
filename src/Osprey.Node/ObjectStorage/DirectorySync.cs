using System.Runtime.InteropServices;

namespace Osprey.Node.ObjectStorage;

/// <summary>fsync of a directory, so a rename or unlink in it survives a crash (.NET cannot open a directory itself).</summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int Directory = 0x10000;
    private const int CloseOnExec = 0x80000;
    private const int Interrupted = 4;

    public static void Flush(string path)
    {
        var fd = OpenDirectory(path, ReadOnly | Directory | CloseOnExec);
        if (fd < 0)
        {
            throw Failure("open", path);
        }
        try
        {
            int result;
            do
            {
                result = FSync(fd);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Interrupted);
            if (result < 0)
            {
                throw Failure("fsync", path);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenDirectory(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
