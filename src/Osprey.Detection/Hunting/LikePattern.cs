using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>Builds LIKE patterns in which every character of the user's value is literal (escape character backslash).</summary>
internal static class LikePattern
{
    public const char Escape = '\\';

    public static string For(ComparisonOperator positive, string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        if (positive is ComparisonOperator.Contains or ComparisonOperator.EndsWith)
        {
            builder.Append('%');
        }

        foreach (var c in value)
        {
            if (c is '%' or '_' or Escape)
            {
                builder.Append(Escape);
            }

            builder.Append(c);
        }

        if (positive is ComparisonOperator.Contains or ComparisonOperator.StartsWith)
        {
            builder.Append('%');
        }

        return builder.ToString();
    }
}
