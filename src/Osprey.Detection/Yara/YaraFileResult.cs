namespace Osprey.Detection.Yara;

/// <summary>
/// One file of a tree scan: the rules that matched, or why it was not scanned (<see cref="ErrorCode"/>: an errno for
/// what the walk could not open or skipped, 27 EFBIG for a file over the size limit, or a YARA error code for a failed
/// scan with <see cref="YaraError"/> set).
/// </summary>
public sealed record YaraFileResult(string Path, long Size, IReadOnlyList<YaraRuleHit> Hits, int ErrorCode = 0, string? Error = null, bool YaraError = false)
{
    public bool Scanned => ErrorCode == 0;
}
