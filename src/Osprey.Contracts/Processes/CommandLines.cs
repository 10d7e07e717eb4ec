using System.Text;

namespace Osprey.Contracts.Processes;

/// <summary>How Osprey writes a Linux process's arguments as one command line (the agent writes it; detection reads it back).</summary>
public static class CommandLines
{
    /// <summary>
    /// The command line as one string: arguments joined by spaces, an argument holding a space, tab, newline, quote or
    /// backslash (or empty) written in double quotes with \" and \\ escaped. Plain arguments appear verbatim.
    /// </summary>
    public static string Join(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var builder = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }
            if (argument.Length > 0 && argument.AsSpan().IndexOfAny(" \t\n\"\\") < 0)
            {
                builder.Append(argument);
                continue;
            }
            builder.Append('"');
            foreach (var c in argument)
            {
                if (c is '"' or '\\')
                {
                    builder.Append('\\');
                }
                builder.Append(c);
            }
            builder.Append('"');
        }
        return builder.ToString();
    }
}
