namespace Osprey.Detection.OpenIoc;

/// <summary>Bounds an OpenIOC document must stay within: IOC files are outside input, so none may exhaust an agent or the node.</summary>
public static class IocLimits
{
    /// <summary>Largest document, in UTF-16 code units (4 MiB; the largest published IOCs are under 1 MiB).</summary>
    public const int MaxDocumentLength = 4 * 1024 * 1024;

    /// <summary>Deepest nesting of elements (Indicator inside Indicator counts two: the element and its child list).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most Indicator and IndicatorItem nodes in one document.</summary>
    public const int MaxNodes = 50_000;

    /// <summary>Longest Content value or regular expression.</summary>
    public const int MaxContentLength = 16 * 1024;

    /// <summary>Longest id, document or search attribute.</summary>
    public const int MaxAttributeLength = 1024;

    /// <summary>Most parse warnings listed for one document.</summary>
    public const int MaxWarnings = 100;

    /// <summary>Time one regular expression may spend on one value when it needs the backtracking engine.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);
}
