using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Reads a YAML stream into <see cref="SigmaYamlNode"/> documents from the parser's events, without recursion, so
/// nesting is bounded by <see cref="SigmaLimits.MaxYamlDepth"/> instead of by the stack. Aliases resolve to their
/// anchored node; duplicate keys and non-scalar keys are errors.
/// </summary>
internal static class SigmaYamlReader
{
    /// <summary>The documents of <paramref name="text"/> (an empty document is null); throws <see cref="SigmaRuleException"/> (Invalid).</summary>
    public static IReadOnlyList<SigmaYamlNode?> Read(string text)
    {
        if (text.Length > SigmaLimits.MaxFileLength)
        {
            throw SigmaRuleException.Invalid($"the file is longer than {SigmaLimits.MaxFileLength} characters");
        }

        var lastLine = new int[1];
        try
        {
            return ReadDocuments(new Parser(new StringReader(text)), lastLine);
        }
        catch (YamlException e)
        {
            throw SigmaRuleException.Invalid($"broken YAML: {FirstLine(e.Message)}", (int)Math.Min(e.Start.Line, int.MaxValue));
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this instead of a YamlException on some malformed flow scalars.
            throw SigmaRuleException.Invalid("broken YAML: the parser could not read past this point", lastLine[0] + 1);
        }
    }

    private static List<SigmaYamlNode?> ReadDocuments(Parser parser, int[] lastLine)
    {
        var documents = new List<SigmaYamlNode?>();
        var anchors = new Dictionary<string, SigmaYamlNode>(StringComparer.Ordinal);
        var open = new Stack<SigmaYamlNode>();
        SigmaYamlNode? root = null;
        var nodes = 0;
        while (parser.MoveNext())
        {
            var current = parser.Current!;
            var line = (int)Math.Min(current.Start.Line, int.MaxValue);
            lastLine[0] = line;
            switch (current)
            {
                case DocumentStart:
                    root = null;
                    anchors.Clear();
                    nodes = 0;
                    break;
                case DocumentEnd:
                    if (documents.Count == SigmaLimits.MaxDocuments)
                    {
                        throw SigmaRuleException.Invalid($"more than {SigmaLimits.MaxDocuments} YAML documents in one file", line);
                    }

                    documents.Add(root);
                    break;
                case Scalar scalar:
                    var value = SigmaYamlNode.Scalar(scalar.Value, scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty, line);
                    Remember(anchors, scalar.Anchor, value);
                    Attach(open, ref root, value, line);
                    break;
                case NodeEvent { } start and (SequenceStart or MappingStart):
                    var collection = start is SequenceStart ? SigmaYamlNode.Sequence(line) : SigmaYamlNode.Mapping(line);
                    Remember(anchors, start.Anchor, collection);
                    Attach(open, ref root, collection, line);
                    Open(open, collection, line);
                    break;
                case SequenceEnd or MappingEnd:
                    open.Pop();
                    break;
                case AnchorAlias alias:
                    if (!anchors.TryGetValue(alias.Value.Value, out var anchored))
                    {
                        throw SigmaRuleException.Invalid($"alias *{alias.Value.Value} names no anchor", line);
                    }

                    Attach(open, ref root, anchored, line);
                    break;
            }

            if (++nodes > SigmaLimits.MaxYamlNodes)
            {
                throw SigmaRuleException.Invalid($"a document has more than {SigmaLimits.MaxYamlNodes} YAML nodes", line);
            }
        }

        return documents;
    }

    private static void Open(Stack<SigmaYamlNode> open, SigmaYamlNode node, int line)
    {
        if (open.Count >= SigmaLimits.MaxYamlDepth)
        {
            throw SigmaRuleException.Invalid($"YAML nested deeper than {SigmaLimits.MaxYamlDepth} levels", line);
        }

        open.Push(node);
    }

    private static void Remember(Dictionary<string, SigmaYamlNode> anchors, AnchorName anchor, SigmaYamlNode node)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }
    }

    private static void Attach(Stack<SigmaYamlNode> open, ref SigmaYamlNode? root, SigmaYamlNode node, int line)
    {
        if (open.Count == 0)
        {
            root = node;
            return;
        }

        var parent = open.Peek();
        if (parent.Kind == SigmaYamlNodeKind.Sequence)
        {
            parent.Add(node);
            return;
        }

        if (parent.PendingKey is not { } key)
        {
            if (node.Kind != SigmaYamlNodeKind.Scalar)
            {
                throw SigmaRuleException.Invalid("a mapping key must be a plain value, not a list or a mapping", line);
            }

            parent.PendingKey = node.Value;
            return;
        }

        parent.PendingKey = null;
        if (!parent.TryAdd(key, node))
        {
            throw SigmaRuleException.Invalid(string.Create(CultureInfo.InvariantCulture, $"duplicate key '{key}'"), line);
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
