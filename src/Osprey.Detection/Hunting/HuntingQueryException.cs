namespace Osprey.Detection.Hunting;

/// <summary>A threat-hunting query or sort specification that cannot be parsed or compiled, with the 0-based position of the fault.</summary>
public sealed class HuntingQueryException : FormatException
{
    /// <summary>Creates the exception for a fault at <paramref name="position"/> in the query text.</summary>
    public HuntingQueryException(string reason, int position, string? detail = null)
        : base(Compose(reason, position, detail))
    {
        Reason = reason;
        Position = position;
        Detail = detail;
    }

    /// <summary>What is wrong, without the position (for example "unknown field 'Foo'").</summary>
    public string Reason { get; }

    /// <summary>0-based offset, in UTF-16 code units, of the token at fault (the query length for "end of query").</summary>
    public int Position { get; }

    /// <summary>What was found instead or how to fix it; null when the reason says it all.</summary>
    public string? Detail { get; }

    private static string Compose(string reason, int position, string? detail) =>
        detail is null
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reason} at position {position}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{reason} at position {position}: {detail}");
}
