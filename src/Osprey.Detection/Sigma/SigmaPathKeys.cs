namespace Osprey.Detection.Sigma;

/// <summary>
/// The last path segment of a value (after its last <c>/</c>, or all of it), the key of the engine's prefilter:
/// a value equal to <c>/usr/bin/zip</c> or ending in <c>/bin/zip</c> has the last segment <c>zip</c>, so a rule
/// requiring either needs to run only on events whose field ends in that segment.
/// </summary>
internal static class SigmaPathKeys
{
    public static ReadOnlySpan<char> LastSegment(ReadOnlySpan<char> value)
    {
        var slash = value.LastIndexOf('/');
        return slash < 0 ? value : value[(slash + 1)..];
    }

    /// <summary>The key of an equality with <paramref name="literal"/>: its last segment.</summary>
    public static string OfEquals(string literal) => LastSegment(literal).ToString();

    /// <summary>The key of endswith <paramref name="suffix"/>: its last segment, when the suffix has a slash (otherwise null: the segment could be longer).</summary>
    public static string? OfEndsWith(string suffix) => suffix.Contains('/', StringComparison.Ordinal) ? LastSegment(suffix).ToString() : null;
}
