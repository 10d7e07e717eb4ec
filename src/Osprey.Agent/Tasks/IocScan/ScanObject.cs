using System.Globalization;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>An object read from the live system for an IOC scan: its term values, and the message reporting it.</summary>
internal abstract class ScanObject : IIocObject
{
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

    private const int MaxTermKeys = 4096;

    // Term names by search path, so reading a term costs a lookup instead of two new strings; bounded by the terms
    // indicators name (IOC files are bounded), and cleared if an unusual stream of them grows it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> TermKeys = new(StringComparer.Ordinal);

    /// <summary>The values of a term named in lower case without the item type ("md5sum"); null when the object has none.</summary>
    protected abstract IReadOnlyList<string>? Term(string term);

    public abstract IocObject ToProto();

    protected static IReadOnlyList<string>? One(string? value) => string.IsNullOrEmpty(value) ? null : [value];

    protected static IReadOnlyList<string> One(long value) => [value.ToString(CultureInfo.InvariantCulture)];

    protected static IReadOnlyList<string>? Time(long us) =>
        us <= 0 ? null : [DateTimeOffset.FromUnixTimeMilliseconds(us / 1000).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)];
}
