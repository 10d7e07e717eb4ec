namespace Osprey.Detection.Sigma;

/// <summary>Settings of <see cref="SigmaEngine"/>.</summary>
public sealed record SigmaEngineOptions
{
    public static readonly SigmaEngineOptions Default = new();

    /// <summary>
    /// Index rules by the last path segment a field must have (on by default). Off, every rule of an event's type runs
    /// on every such event: the same matches, slower; for measuring the index and checking it changes nothing.
    /// </summary>
    public bool Prefilter { get; init; } = true;
}
