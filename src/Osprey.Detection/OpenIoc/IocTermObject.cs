using System.Collections.Concurrent;
using System.Globalization;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// An object of one item type whose terms are read by their name in lower case without the item type ("md5sum"):
/// the base of the agent's live-system objects and of the node's objects from telemetry, so both write values alike.
/// </summary>
public abstract class IocTermObject : IIocObject
{
    private const int MaxTermKeys = 4096;

    // Term names by search path, so reading a term costs a lookup instead of two new strings; bounded by the terms
    // indicators name (IOC files are bounded), and cleared if an unusual stream of them grows it.
    private static readonly ConcurrentDictionary<string, string> TermKeys = new(StringComparer.Ordinal);

    public abstract string Document { get; }

    public IReadOnlyList<string>? Values(string search)
    {
        var prefix = Document.Length;
        if (search.Length <= prefix + 1 || search[prefix] != '/' || !search.StartsWith(Document, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (TermKeys.Count > MaxTermKeys)
        {
            TermKeys.Clear();
        }
        return Term(TermKeys.GetOrAdd(search, static (s, p) => s[(p + 1)..].ToLowerInvariant(), prefix));
    }

    /// <summary>The values of a term named in lower case without the item type ("md5sum"); null when the object has none.</summary>
    protected abstract IReadOnlyList<string>? Term(string term);

    protected static IReadOnlyList<string>? One(string? value) => string.IsNullOrEmpty(value) ? null : [value];

    /// <summary>A time as OpenIOC dates are written (ISO 8601, seconds, UTC); null when unknown.</summary>
    protected static IReadOnlyList<string>? Time(long us) =>
        us <= 0 ? null : [DateTimeOffset.FromUnixTimeMilliseconds(us / 1000).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)];
}
