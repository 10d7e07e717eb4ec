using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>Validation and case conversion of field names, SQL identifiers and JSON path segments.</summary>
internal static class HuntingNames
{
    /// <summary>Longest accepted field name; far beyond any real one, it bounds the SQL a name can produce.</summary>
    public const int MaxFieldNameLength = 256;

    public static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c == '_';

    public static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>True for an ASCII identifier: a letter or underscore, then letters, digits and underscores.</summary>
    public static bool IsIdentifier(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !IsIdentifierStart(text[0]))
        {
            return false;
        }

        foreach (var c in text[1..])
        {
            if (!IsIdentifierPart(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for a field name: identifiers joined by dots, at most <see cref="MaxFieldNameLength"/> characters.</summary>
    public static bool IsFieldName(string name)
    {
        if (name.Length is 0 or > MaxFieldNameLength)
        {
            return false;
        }

        foreach (var range in name.AsSpan().Split('.'))
        {
            if (!IsIdentifier(name.AsSpan()[range]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The key names are matched by: lower case without underscores, so CommandLine, commandline and command_line agree.</summary>
    public static string Normalize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c != '_')
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    /// <summary>Converts one PascalCase or camelCase segment to snake_case (ExitCode → exit_code, HTTPServer → http_server, Sha256 → sha256).</summary>
    public static string ToSnakeCase(string segment)
    {
        var builder = new StringBuilder(segment.Length + 4);
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (char.IsAsciiLetterUpper(c) && i > 0 && segment[i - 1] != '_')
            {
                var previous = segment[i - 1];
                var nextIsLower = i + 1 < segment.Length && char.IsAsciiLetterLower(segment[i + 1]);
                if (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous) || (char.IsAsciiLetterUpper(previous) && nextIsLower))
                {
                    builder.Append('_');
                }
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }

    /// <summary>Converts one snake_case segment to PascalCase (command_line → CommandLine).</summary>
    public static string ToPascalCase(string segment)
    {
        var builder = new StringBuilder(segment.Length);
        var upper = true;
        foreach (var c in segment)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }
}
