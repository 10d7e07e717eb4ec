using System.Text;

namespace Osprey.Agent.Tasks;

/// <summary>Splits a command line into words as a POSIX shell does for quoting: '…' literal, "…" with \ escapes, \ outside quotes.</summary>
internal static class CommandLine
{
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                    break;
                case '\'':
                    var end = text.IndexOf('\'', i + 1);
                    if (end < 0)
                    {
                        throw new TaskFailedException(22, "the command line has an unterminated ' quote");
                    }
                    word.Append(text, i + 1, end - i - 1);
                    i = end;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }
                        word.Append(text[i++]);
                    }
                    if (i >= text.Length)
                    {
                        throw new TaskFailedException(22, "the command line has an unterminated \" quote");
                    }
                    inWord = true;
                    break;
                case '\\' when i + 1 < text.Length:
                    word.Append(text[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
