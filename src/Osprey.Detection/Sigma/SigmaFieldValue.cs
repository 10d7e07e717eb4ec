namespace Osprey.Detection.Sigma;

/// <summary>
/// A field's value for one event without copying it: a slice of a string the event already holds, or of the
/// evaluation context's scratch buffer for derived text (numbers, unquoted command lines). Default is absent.
/// </summary>
internal readonly struct SigmaFieldValue
{
    private SigmaFieldValue(string? text, int start, int length, bool inScratch)
    {
        Text = text;
        Start = start;
        Length = length;
        InScratch = inScratch;
    }

    public static SigmaFieldValue Missing => default;

    /// <summary>The string the value is a slice of; null for scratch values and absent ones.</summary>
    public string? Text { get; }

    public int Start { get; }

    public int Length { get; }

    public bool InScratch { get; }

    public bool IsPresent => Text is not null || InScratch;

    /// <summary>A whole string; null and empty are absent (proto3 cannot tell an empty string from an unset one).</summary>
    public static SigmaFieldValue Of(string? text) => string.IsNullOrEmpty(text) ? default : new(text, 0, text.Length, false);

    public static SigmaFieldValue Slice(string text, int start, int length) => new(text, start, length, false);

    public static SigmaFieldValue Scratch(int start, int length) => new(null, start, length, true);
}
