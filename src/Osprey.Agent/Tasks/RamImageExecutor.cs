using Osprey.Agent.Forensics;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "ram-image": the machine's physical RAM (the System RAM ranges of /proc/iomem) read through /proc/kcore or
/// /dev/mem, written as LiME (default) or raw into the spool directory within max_bytes, then uploaded into Storage and
/// removed. Where the kernel offers neither (built without them, STRICT_DEVMEM, lockdown) the task fails with
/// "unsupported here:" and the reasons.
/// </summary>
internal sealed class RamImageExecutor : ITaskExecutor
{
    private const long DefaultMaxBytes = 1L << 30;
    private const long SpaceMargin = 64L << 20;

    public string Type => "ram-image";

    /// <summary>Where the kernel's interfaces are (fixed on a real agent; a test points them at files it made).</summary>
    internal string Kcore { get; init; } = "/proc/kcore";

    internal string Iomem { get; init; } = "/proc/iomem";

    internal string DevMem { get; init; } = "/dev/mem";

    internal string Lockdown { get; init; } = "/sys/kernel/security/lockdown";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.RamImage ?? new RamImageParams();
        var format = p.Format.Length == 0 ? "lime" : p.Format;
        if (format is not ("lime" or "raw"))
        {
            throw new TaskFailedException(22, $"unknown RAM image format '{p.Format}'; use \"lime\" or \"raw\"");
        }
        using var memory = PhysicalMemory.Open(Kcore, Iomem, DevMem, Lockdown, out var reason)
            ?? throw new TaskFailedException(95, "unsupported here: " + reason);
        var maxBytes = p.MaxBytes > 0 ? (long)Math.Min(p.MaxBytes, long.MaxValue) : DefaultMaxBytes;
        var ramBytes = memory.Ram.Sum(r => (long)(r.End - r.Start));
        var available = new DriveInfo(run.Services.SpoolDirectory).AvailableFreeSpace;
        if (Math.Min(maxBytes, ramBytes + memory.Ram.Count * RamImageWriter.LimeHeaderBytes) + SpaceMargin > available)
        {
            throw new TaskFailedException(28, $"the image needs up to {Math.Min(maxBytes, ramBytes)} bytes and {run.Services.SpoolDirectory} has {available} free; lower max_bytes");
        }
        var spool = Path.Combine(run.Services.SpoolDirectory, $"{run.Definition.TaskId}.{format}");
        try
        {
            var outcome = await Task.Run(() => RamImageWriter.Write(memory, format == "lime", spool, maxBytes, cancellationToken), cancellationToken).ConfigureAwait(false);
            var result = new RamImageResult { Format = format, Source = memory.Source, RamBytes = (ulong)ramBytes, Truncated = outcome.Truncated };
            result.Ranges.AddRange(outcome.Ranges);
            using var image = DiskImageExecutor.OpenReadOnly(spool);
            result.Image = await StoredFiles.UploadAsync(run, image, outcome.Bytes, $"ram.{format}", "ram-image", cancellationToken).ConfigureAwait(false);
            run.Report.RamImage = result;
        }
        finally
        {
            File.Delete(spool);
        }
    }
}
