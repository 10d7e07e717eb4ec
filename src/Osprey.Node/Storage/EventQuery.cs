namespace Osprey.Node.Storage;

/// <summary>A hunting request: query text, time range, sort and limit.</summary>
public sealed record EventQuery
{
    public string Query { get; init; } = "";
    public long? FromUs { get; init; }
    public long? ToUs { get; init; }
    public string Sort { get; init; } = "EventTime";
    public bool Descending { get; init; } = true;
    public int Limit { get; init; } = 100;
}
