using System.Text;

namespace Osprey.Detection.Sigma;

/// <summary>The encoding modifiers: utf16 variants, base64, and base64offset's three shifted encodings (as pySigma computes them).</summary>
internal static class SigmaEncodings
{
    private static readonly int[] OffsetStarts = [0, 2, 3];
    private static readonly int[] OffsetEnds = [0, 3, 2];

    public static byte[] Utf16LittleEndian(string text) => Encoding.Unicode.GetBytes(text);

    public static byte[] Utf16BigEndian(string text) => Encoding.BigEndianUnicode.GetBytes(text);

    /// <summary>UTF-16 little endian with its byte order mark (FF FE).</summary>
    public static byte[] Utf16WithByteOrderMark(string text) => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)];

    public static string Base64(byte[] bytes) => Convert.ToBase64String(bytes);

    /// <summary>
    /// The part of the base64 text of <paramref name="bytes"/> that stays the same wherever they sit in a longer
    /// encoded input: one variant per shift of 0, 1 and 2 bytes, with the characters the neighbours would change cut off.
    /// </summary>
    public static IReadOnlyList<string> Base64Offsets(byte[] bytes)
    {
        var variants = new List<string>(3);
        for (var shift = 0; shift < 3; shift++)
        {
            var shifted = new byte[shift + bytes.Length];
            shifted.AsSpan(0, shift).Fill((byte)' ');
            bytes.CopyTo(shifted, shift);
            var encoded = Convert.ToBase64String(shifted);
            var start = OffsetStarts[shift];
            var end = encoded.Length - OffsetEnds[(bytes.Length + shift) % 3];
            variants.Add(end > start ? encoded[start..end] : "");
        }

        return variants;
    }
}
