namespace Osprey.Detection.Sigma;

/// <summary>
/// Reads Osprey's Linux command lines back into arguments. The agent joins argv with single spaces and puts an
/// argument in double quotes (with <c>\"</c> and <c>\\</c> escaped) when it is empty or has a space, tab, newline,
/// quote or backslash; Sigma's Linux rules are written for Sysmon for Linux, which joins argv with spaces and no
/// quoting (<c>sh -c echo x | base64 -d | sh</c>), so the Sigma <c>CommandLine</c> is the unquoted form.
/// </summary>
internal static class SigmaCommandLine
{
    /// <summary>An upper bound of the number of arguments in <paramref name="line"/>.</summary>
    public static int CountArguments(string line)
    {
        var count = 1;
        foreach (var c in line)
        {
            if (c == ' ')
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Splits a line without quotes at runs of spaces into slices of it; returns the count.</summary>
    public static int Split(string line, SigmaFieldValue[] arguments)
    {
        var count = 0;
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            var start = i;
            while (i < line.Length && line[i] != ' ')
            {
                i++;
            }

            if (i > start)
            {
                arguments[count++] = SigmaFieldValue.Slice(line, start, i - start);
            }
        }

        return count;
    }

    /// <summary>
    /// Writes the unquoted arguments of <paramref name="line"/> to <paramref name="destination"/> (at least as long as
    /// the line), separated by single spaces; records each argument's offset and length in <paramref name="arguments"/>
    /// when given. Returns the number of characters written.
    /// </summary>
    public static int Unquote(string line, Span<char> destination, SigmaFieldValue[]? arguments, out int count)
    {
        count = 0;
        var written = 0;
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i == line.Length)
            {
                break;
            }

            if (count > 0)
            {
                destination[written++] = ' ';
            }

            var start = written;
            if (line[i] == '"')
            {
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
                    {
                        i++;
                    }

                    destination[written++] = line[i++];
                }

                i++;
            }

            while (i < line.Length && line[i] != ' ')
            {
                destination[written++] = line[i++];
            }

            if (arguments is not null)
            {
                arguments[count] = SigmaFieldValue.Slice(line, start, written - start);
            }

            count++;
        }

        return written;
    }
}
