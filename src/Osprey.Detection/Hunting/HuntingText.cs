using System.Globalization;
using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>Renders query text fragments for canonical output and for error messages.</summary>
internal static class HuntingText
{
    private const int MessageLimit = 64;

    /// <summary>Writes <paramref name="value"/> as a double-quoted hunting string literal that the lexer reads back unchanged.</summary>
    public static void AppendLiteral(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\t': builder.Append("\\t"); break;
                case '\r': builder.Append("\\r"); break;
                default: builder.Append(c); break;
            }
        }

        builder.Append('"');
    }

    /// <summary>A quoted, shortened rendering of a user value for an error message.</summary>
    public static string Quote(string value)
    {
        var builder = new StringBuilder();
        AppendLiteral(builder, value.Length > MessageLimit ? value[..MessageLimit] : value);
        if (value.Length > MessageLimit)
        {
            builder.Insert(builder.Length - 1, "…");
        }

        return builder.ToString();
    }

    /// <summary>Shortens user text for an error message.</summary>
    public static string Truncate(string value) => value.Length > MessageLimit ? value[..MessageLimit] + "…" : value;

    /// <summary>A character as an error message shows it: printable ones quoted, others as U+XXXX.</summary>
    public static string DescribeChar(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || char.IsWhiteSpace(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format
            ? string.Create(CultureInfo.InvariantCulture, $"U+{(int)c:X4}")
            : "'" + c + "'";
}
