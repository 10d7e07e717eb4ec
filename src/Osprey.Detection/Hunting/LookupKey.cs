namespace Osprey.Detection.Hunting;

/// <summary>
/// The 64-bit lookup key of a text value: FNV-1a over its UTF-16 code units with ASCII letters folded to lower case,
/// the same folding as SQLite's NOCASE. Two values equal under NOCASE have the same key, so an index on the key
/// finds every row a NOCASE equality on the text would; the text comparison then discards the rare collision.
/// </summary>
/// <remarks>
/// Hashes and UniquePIDs are random-looking: indexing their text costs a comparison of up to 64 characters at every
/// level of the B-tree and a dirty leaf page per insert. Their keys are eight-byte integers, several times denser
/// in a page and compared in one instruction, which is what lets the single writer keep up with ingest.
/// </remarks>
public static class LookupKey
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    /// <summary>The key of <paramref name="value"/> (any long, zero included).</summary>
    public static long Of(ReadOnlySpan<char> value)
    {
        var hash = OffsetBasis;
        foreach (var c in value)
        {
            var folded = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            hash = (hash ^ folded) * Prime;
        }

        return unchecked((long)hash);
    }
}
