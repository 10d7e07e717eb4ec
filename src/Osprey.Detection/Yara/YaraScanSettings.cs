namespace Osprey.Detection.Yara;

/// <summary>How one object is scanned: the time limit and how much of each match is kept.</summary>
public sealed record YaraScanSettings
{
    /// <summary>libyara stops a scan after this many seconds and reports a timeout (0: no limit).</summary>
    public int TimeoutSeconds { get; init; } = 60;

    /// <summary>String matches kept per rule and object; the rest are counted, not kept.</summary>
    public int MaxStringMatches { get; init; } = 100;

    /// <summary>Matched bytes kept per string match (libyara keeps at most 512).</summary>
    public int MaxDataBytes { get; init; } = 64;
}
