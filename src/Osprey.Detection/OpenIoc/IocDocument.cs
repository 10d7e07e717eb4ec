namespace Osprey.Detection.OpenIoc;

/// <summary>A parsed OpenIOC document: its metadata and its top-level indicators.</summary>
public sealed record IocDocument
{
    /// <summary>The root's id attribute (may be empty in hand-written 1.0 files).</summary>
    public required string Id { get; init; }
    public required IocVersion Version { get; init; }
    public string ShortDescription { get; init; } = "";
    public string Description { get; init; } = "";
    public string AuthoredBy { get; init; } = "";

    /// <summary>1.0: the one Indicator of <c>definition</c>; 1.1: the Indicators of <c>criteria</c>. Each is reported on its own.</summary>
    public required IReadOnlyList<IocIndicator> Indicators { get; init; }

    /// <summary>1.1 parameters, each attached to a node of this document.</summary>
    public IReadOnlyList<IocParameter> Parameters { get; init; } = [];

    /// <summary>The title to show: the short description, else the id.</summary>
    public string Title => ShortDescription.Length > 0 ? ShortDescription : Id;
}
