namespace Osprey.Detection.Sigma;

/// <summary>Settings of <see cref="SigmaCompiler"/>.</summary>
public sealed record SigmaCompilerOptions
{
    public static readonly SigmaCompilerOptions Default = new();

    /// <summary>
    /// Values of placeholders for the expand modifier (<c>%Administrators%</c> → names, wildcards allowed), by name
    /// without the percent signs. A rule using a placeholder not listed here is reported unsupported.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders { get; init; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
}
