using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "disk-image": a raw image of a block device (a disk, a partition, a loop device) or a regular file, streamed into
/// Storage with its SHA-256 (the Storage key, equal to sha256sum of the source) and MD5; optionally only its first
/// max_bytes. The source is read twice (hash, then send) and not copied on the endpoint: a source written to meanwhile
/// fails the task rather than storing an image no hash describes, so image unmounted or read-only devices.
/// </summary>
internal sealed class DiskImageExecutor : ITaskExecutor
{
    public string Type => "disk-image";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.DiskImage ?? throw new TaskFailedException(22, "the task has no disk-image parameters");
        if (p.Format is not ("" or "raw"))
        {
            throw new TaskFailedException(22, $"unknown image format '{p.Format}'; disk images are \"raw\"");
        }
        if (!Path.IsPathFullyQualified(p.Device))
        {
            throw new TaskFailedException(22, $"the device must be an absolute path, not '{p.Device}'");
        }
        var status = Libc.Stat(p.Device, followLinks: true, out var errno)
            ?? throw new TaskFailedException(errno, $"{p.Device} cannot be read ({Errno.Describe(errno)})");
        if (status.FileType != "block-device" && !status.IsRegularFile)
        {
            // A character device (/dev/zero, a tty) or a pipe has no end to image.
            throw new TaskFailedException(22, $"{p.Device} is a {status.FileType}; disk-image reads block devices and regular files");
        }
        using var source = OpenReadOnly(p.Device);
        if (Libc.Stat(source, out errno) is not { } opened || opened.FileType != status.FileType)
        {
            throw new TaskFailedException(16, $"{p.Device} changed while it was opened; not imaged");
        }
        var size = FileEnd.Of(source, out errno);
        if (size < 0)
        {
            throw new TaskFailedException(errno, $"the size of {p.Device} cannot be found ({Errno.Describe(errno)})");
        }
        var length = p.MaxBytes > 0 ? Math.Min(size, (long)Math.Min(p.MaxBytes, long.MaxValue)) : size;
        var name = Path.GetFileName(p.Device) + ".raw";
        var result = new DiskImageResult { Device = p.Device, Format = "raw", SourceBytes = (ulong)size, Truncated = length < size };
        result.Image = await StoredFiles.UploadAsync(run, source, length, name, "disk-image", cancellationToken).ConfigureAwait(false);
        run.Report.DiskImage = result;
    }

    internal static Microsoft.Win32.SafeHandles.SafeFileHandle OpenReadOnly(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TaskFailedException(e is UnauthorizedAccessException ? 13 : 5, $"{path} cannot be opened: {e.Message}", e);
        }
    }
}
