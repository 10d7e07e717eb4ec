namespace Osprey.Node.Storage;

/// <summary>Outcome of one telemetry batch: an acknowledgement, or why the whole batch was refused.</summary>
public sealed record IngestResult(ulong AckedSequence, int Stored, int Duplicates, string? Error)
{
    public static IngestResult Rejected(string error) => new(0, 0, 0, error);
}
