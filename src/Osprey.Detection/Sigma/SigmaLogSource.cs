namespace Osprey.Detection.Sigma;

/// <summary>A rule's <c>logsource</c>: category, product and service as written (lower case by convention), each optional.</summary>
public sealed record SigmaLogSource(string? Category, string? Product, string? Service)
{
    /// <summary>The free-text <c>definition</c>, if any.</summary>
    public string? Definition { get; init; }

    /// <summary>"category: process_creation, product: linux" — the parts that are set.</summary>
    public override string ToString()
    {
        var parts = new List<string>(3);
        if (Category is not null)
        {
            parts.Add("category: " + Category);
        }

        if (Product is not null)
        {
            parts.Add("product: " + Product);
        }

        if (Service is not null)
        {
            parts.Add("service: " + Service);
        }

        return parts.Count == 0 ? "(empty log source)" : string.Join(", ", parts);
    }
}
