namespace Osprey.Detection.OpenIoc;

/// <summary>
/// What reading one OpenIOC file gave: the document, or the reason it was rejected; never both. Warnings concern a
/// parsed document (a parameter naming no node, an unknown Content type read as a string).
/// </summary>
public sealed record IocParseResult
{
    /// <summary>The file name it was read from (for messages).</summary>
    public required string Source { get; init; }
    public IocDocument? Document { get; init; }

    /// <summary>Why the file was rejected (with the line when one is to blame); null when it parsed.</summary>
    public string? Reason { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public bool Parsed => Document is not null;

    /// <summary>"name: reason" or "name: parsed".</summary>
    public string Message => Reason is null ? $"{Source}: parsed" : $"{Source}: {Reason}";
}
