using System.Text;
using System.Text.RegularExpressions;

namespace Osprey.Contracts.Prevention;

/// <summary>
/// A glob over an absolute path, case-sensitive as Linux paths are: <c>*</c> and <c>?</c> stay inside one path
/// component, <c>**</c> spans components (<c>/tmp/**/*.sh</c> matches <c>/tmp/a.sh</c> and <c>/tmp/x/y/a.sh</c>),
/// <c>[abc]</c> and <c>[a-z]</c> are character classes.
/// </summary>
public sealed class PathPattern
{
    private readonly Regex _regex;

    private PathPattern(string text, Regex regex)
    {
        Text = text;
        _regex = regex;
    }

    public string Text { get; }

    /// <summary>
    /// The directory every matching path lies in: the pattern up to the last '/' before its first wildcard
    /// ("/tmp/**/*.sh" → "/tmp", "/usr/bin/ba?h" → "/usr/bin", "/*" → "/").
    /// </summary>
    public string Directory
    {
        get
        {
            var wildcard = Text.IndexOfAny(['*', '?', '[']);
            var literal = wildcard < 0 ? Text : Text[..wildcard];
            var slash = literal.LastIndexOf('/');
            return slash <= 0 ? "/" : literal[..slash];
        }
    }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    /// <summary>The compiled pattern, or null with the reason it is not one.</summary>
    public static PathPattern? TryParse(string text, out string? error)
    {
        error = null;
        if (text.Length == 0 || text[0] != '/')
        {
            error = $"path pattern '{text}' must be absolute (start with '/')";
            return null;
        }
        if (text.Length > 4096 || text.Contains('\0', StringComparison.Ordinal))
        {
            error = "a path pattern must be at most 4096 characters, without NUL";
            return null;
        }
        var builder = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '*' when i + 1 < text.Length && text[i + 1] == '*':
                    // "/**/" also matches a single "/" so "/tmp/**/x" covers /tmp/x.
                    if (i + 2 < text.Length && text[i + 2] == '/' && i > 0 && text[i - 1] == '/')
                    {
                        builder.Append("(?:.*/)?");
                        i += 2;
                    }
                    else
                    {
                        builder.Append(".*");
                        i++;
                    }
                    break;
                case '*':
                    builder.Append("[^/]*");
                    break;
                case '?':
                    builder.Append("[^/]");
                    break;
                case '[':
                    var close = text.IndexOf(']', i + 2);
                    if (close < 0)
                    {
                        error = $"path pattern '{text}' has '[' without a closing ']'";
                        return null;
                    }
                    var body = text[(i + 1)..close];
                    var negate = body.StartsWith('!');
                    builder.Append('[').Append(negate ? "^" : "");
                    foreach (var member in negate ? body[1..] : body)
                    {
                        builder.Append(member is '\\' or '^' or '[' or ']' ? "\\" + member : member.ToString());
                    }
                    builder.Append(']');
                    i = close;
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        builder.Append('$');
        try
        {
            var regex = new Regex(builder.ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled | RegexOptions.NonBacktracking);
            return new PathPattern(text, regex);
        }
        catch (ArgumentException e)
        {
            error = $"path pattern '{text}' is not valid: {e.Message}";
            return null;
        }
    }
}
