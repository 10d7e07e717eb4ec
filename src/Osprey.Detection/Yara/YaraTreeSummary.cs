namespace Osprey.Detection.Yara;

/// <summary>Counts of a tree scan.</summary>
public sealed record YaraTreeSummary(long FilesScanned, long BytesScanned, long FilesMatched, long Errors);
