namespace Osprey.Detection.OpenIoc;

/// <summary>A term an evaluator can give values for: its search path, type, and whether reading it is costly (hashing a file).</summary>
public sealed record IocTerm(string Search, IocDataType Type, bool Costly = false)
{
    /// <summary>The item type the term belongs to: the part of the path before the first '/'.</summary>
    public string Document => Search[..Math.Max(0, Search.IndexOf('/', StringComparison.Ordinal))];
}
