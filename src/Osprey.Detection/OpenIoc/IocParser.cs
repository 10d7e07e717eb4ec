using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// Reads OpenIOC 1.0 and 1.1 documents into indicator trees. The XML is read without DTDs or external entities and
/// within <see cref="IocLimits"/>; a document that breaks a limit, is not OpenIOC, or has an item Osprey cannot
/// compile (unknown condition, Content not of its type, bad regular expression) is rejected whole, with the reason.
/// </summary>
public static class IocParser
{
    public const string Namespace10 = "http://schemas.mandiant.com/2010/ioc";
    public const string Namespace11 = "http://openioc.org/schemas/OpenIOC_1.1";

    /// <summary>Parses a document given as text (the encoding declaration is then ignored).</summary>
    public static IocParseResult Parse(string content, string source)
    {
        if (content.Length > IocLimits.MaxDocumentLength)
        {
            return Rejected(source, $"the document is {content.Length} characters long; at most {IocLimits.MaxDocumentLength} are read");
        }
        using var reader = new StringReader(content);
        return Parse(() => XmlReader.Create(reader, Settings()), source);
    }

    /// <summary>Parses a document given as bytes, honouring its byte order mark and encoding declaration.</summary>
    public static IocParseResult Parse(ReadOnlyMemory<byte> content, string source)
    {
        if (content.Length > IocLimits.MaxDocumentLength)
        {
            return Rejected(source, $"the document is {content.Length} bytes long; at most {IocLimits.MaxDocumentLength} are read");
        }
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return Parse(() => XmlReader.Create(stream, Settings()), source);
    }

    /// <summary>Parses every .ioc and .xml file under a directory (or one file), in name order.</summary>
    public static IReadOnlyList<IocParseResult> ParsePath(string path)
    {
        if (File.Exists(path))
        {
            return [ParseFile(path)];
        }
        return [.. Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(IsIocFileName)
            .Order(StringComparer.Ordinal)
            .Select(ParseFile)];
    }

    /// <summary>Whether a file name looks like an OpenIOC document (.ioc or .xml).</summary>
    public static bool IsIocFileName(string name) =>
        name.EndsWith(".ioc", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase);

    private static IocParseResult ParseFile(string path)
    {
        var length = new FileInfo(path).Length;
        return length > IocLimits.MaxDocumentLength
            ? Rejected(path, $"the file is {length} bytes long; at most {IocLimits.MaxDocumentLength} are read")
            : Parse(File.ReadAllBytes(path), path);
    }

    private static XmlReaderSettings Settings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = IocLimits.MaxDocumentLength,
        MaxCharactersFromEntities = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = false,
    };

    private static IocParseResult Parse(Func<XmlReader> open, string source)
    {
        XDocument xml;
        try
        {
            using var reader = open();
            xml = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            return Rejected(source, $"not well-formed XML: {e.Message}");
        }
        catch (DecoderFallbackException e)
        {
            return Rejected(source, $"the text is not in its declared encoding: {e.Message}");
        }
        var warnings = new List<string>();
        try
        {
            var document = new IocTreeReader(warnings).Read(xml.Root!);
            return new IocParseResult { Source = source, Document = document, Warnings = warnings };
        }
        catch (IocParseException e)
        {
            return Rejected(source, e.Message);
        }
    }

    private static IocParseResult Rejected(string source, string reason) => new() { Source = source, Reason = reason };

    /// <summary>Walks the XML of one document; an instance per document.</summary>
    private sealed class IocTreeReader(List<string> warnings)
    {
        private readonly Dictionary<string, IocNode> _byId = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<IocParameter>> _parameters = new(StringComparer.Ordinal);
        private XNamespace _ns = XNamespace.None;
        private int _ordinal;

        public IocDocument Read(XElement root)
        {
            IocVersion version;
            XElement? criteria;
            XElement metadata;
            (_ns, version) = (root.Name.NamespaceName, root.Name.LocalName) switch
            {
                (Namespace10, "ioc") => (XNamespace.Get(Namespace10), IocVersion.OpenIoc10),
                (Namespace11, "OpenIOC") => (XNamespace.Get(Namespace11), IocVersion.OpenIoc11),
                (Namespace10 or Namespace11, var name) => throw new IocParseException($"the root element is '{name}'; OpenIOC documents start with 'ioc' (1.0) or 'OpenIOC' (1.1)", LineOf(root)),
                var (ns, name) => throw new IocParseException(
                    $"not an OpenIOC document: the root element is '{name}' in namespace '{ns}'; expected 'ioc' in {Namespace10} (1.0) or 'OpenIOC' in {Namespace11} (1.1)", LineOf(root)),
            };
            if (version == IocVersion.OpenIoc10)
            {
                metadata = root;
                criteria = root.Element(_ns + "definition") ?? throw new IocParseException("an OpenIOC 1.0 document needs a 'definition' element", LineOf(root));
            }
            else
            {
                metadata = root.Element(_ns + "metadata") ?? root;
                criteria = root.Element(_ns + "criteria") ?? throw new IocParseException("an OpenIOC 1.1 document needs a 'criteria' element", LineOf(root));
            }
            var indicators = new List<IocIndicator>();
            foreach (var child in criteria.Elements())
            {
                if (child.Name != _ns + "Indicator")
                {
                    throw new IocParseException($"'{criteria.Name.LocalName}' may hold only Indicator elements, not '{child.Name.LocalName}'", LineOf(child));
                }
                indicators.Add(ReadIndicator(child, depth: 1));
            }
            if (indicators.Count == 0)
            {
                throw new IocParseException($"'{criteria.Name.LocalName}' holds no Indicator", LineOf(criteria));
            }
            var parameters = ReadParameters(root.Element(_ns + "parameters"));
            return new IocDocument
            {
                Id = Attribute(root, "id") ?? "",
                Version = version,
                ShortDescription = Text(metadata, "short_description"),
                Description = Text(metadata, "description"),
                AuthoredBy = Text(metadata, "authored_by"),
                Indicators = indicators,
                Parameters = parameters,
            };
        }

        private IocIndicator ReadIndicator(XElement element, int depth)
        {
            if (depth > IocLimits.MaxDepth)
            {
                throw new IocParseException($"Indicators nest deeper than {IocLimits.MaxDepth}", LineOf(element));
            }
            var line = LineOf(element);
            var id = NodeId(element);
            var ordinal = _ordinal++;
            var op = Attribute(element, "operator") switch
            {
                { } o when o.Equals("AND", StringComparison.OrdinalIgnoreCase) => IocOperator.And,
                { } o when o.Equals("OR", StringComparison.OrdinalIgnoreCase) => IocOperator.Or,
                null => throw new IocParseException($"Indicator '{id}' has no operator (AND or OR)", line),
                var o => throw new IocParseException($"Indicator '{id}' has the operator '{o}'; operators are AND and OR", line),
            };
            var children = new List<IocNode>();
            foreach (var child in element.Elements())
            {
                if (child.Name == _ns + "Indicator")
                {
                    children.Add(ReadIndicator(child, depth + 1));
                }
                else if (child.Name == _ns + "IndicatorItem")
                {
                    children.Add(ReadItem(child));
                }
                else
                {
                    throw new IocParseException($"Indicator '{id}' holds '{child.Name.LocalName}'; an Indicator holds Indicator and IndicatorItem elements", LineOf(child));
                }
            }
            var indicator = new IocIndicator(id, line, ordinal, op, children);
            _byId[id] = indicator;
            return indicator;
        }

        private IocItem ReadItem(XElement element)
        {
            var line = LineOf(element);
            var id = NodeId(element);
            var ordinal = _ordinal++;
            var conditionText = Attribute(element, "condition") ?? throw new IocParseException($"IndicatorItem '{id}' has no condition", line);
            var (condition, negatedByCondition) = conditionText.ToLowerInvariant() switch
            {
                "is" => (IocCondition.Is, false),
                "isnot" => (IocCondition.Is, true),
                "contains" => (IocCondition.Contains, false),
                "containsnot" => (IocCondition.Contains, true),
                "starts-with" or "startswith" => (IocCondition.StartsWith, false),
                "ends-with" or "endswith" => (IocCondition.EndsWith, false),
                "matches" => (IocCondition.Matches, false),
                "greater-than" => (IocCondition.GreaterThan, false),
                "less-than" => (IocCondition.LessThan, false),
                _ => throw new IocParseException(
                    $"IndicatorItem '{id}' has the condition '{conditionText}'; conditions are is, isnot, contains, containsnot, starts-with, ends-with, matches, greater-than, less-than", line),
            };
            var negate = Boolean(element, "negate", id, line) != negatedByCondition;
            var preserveCase = Boolean(element, "preserve-case", id, line);
            var context = element.Element(_ns + "Context") ?? throw new IocParseException($"IndicatorItem '{id}' has no Context", line);
            var content = element.Element(_ns + "Content") ?? throw new IocParseException($"IndicatorItem '{id}' has no Content", line);
            var search = Attribute(context, "search");
            if (string.IsNullOrWhiteSpace(search))
            {
                throw new IocParseException($"IndicatorItem '{id}': its Context has no search term (such as FileItem/Md5sum)", LineOf(context));
            }
            var document = Attribute(context, "document") is { Length: > 0 } d ? d : search.Split('/')[0];
            var typeText = Attribute(content, "type") ?? "string";
            var type = IocValueTests.DataType(typeText);
            if (type is null)
            {
                Warn(string.Create(CultureInfo.InvariantCulture, $"line {LineOf(content)}: IndicatorItem '{id}': Content type '{typeText}' is unknown and read as a string"));
            }
            var value = content.Value;
            if (value.Length > IocLimits.MaxContentLength)
            {
                throw new IocParseException($"IndicatorItem '{id}': its Content is {value.Length} characters long; at most {IocLimits.MaxContentLength}", LineOf(content));
            }
            var spec = new IocItemSpec(condition, negate, preserveCase, document, search, Attribute(context, "type") ?? "", type ?? IocDataType.String, value);
            IocValueTest test;
            try
            {
                test = IocValueTests.Create(condition, spec.DataType, value, preserveCase, LineOf(content));
            }
            catch (IocParseException e)
            {
                throw new IocParseException($"IndicatorItem '{id}' ({search} {conditionText}): {e.Message}");
            }
            var item = new IocItem(id, line, ordinal, spec, test);
            _byId[id] = item;
            return item;
        }

        private List<IocParameter> ReadParameters(XElement? parameters)
        {
            var list = new List<IocParameter>();
            if (parameters is null)
            {
                return list;
            }
            foreach (var param in parameters.Elements(_ns + "param"))
            {
                var value = param.Element(_ns + "value");
                var parameter = new IocParameter(Attribute(param, "id") ?? "", Attribute(param, "ref-id") ?? "", Attribute(param, "name") ?? "", value?.Value ?? "", value is null ? "" : Attribute(value, "type") ?? "");
                list.Add(parameter);
                if (_byId.TryGetValue(parameter.RefId, out var node) && node is IocItem item)
                {
                    item.Parameters = [.. item.Parameters, parameter];
                }
                else if (node is null)
                {
                    Warn(string.Create(CultureInfo.InvariantCulture, $"line {LineOf(param)}: parameter '{parameter.Name}' refers to '{parameter.RefId}', which no node of the document has"));
                }
            }
            return list;
        }

        /// <summary>The node's id; a node without one is named by its line so a matched branch can still be named.</summary>
        private void Warn(string warning)
        {
            if (warnings.Count < IocLimits.MaxWarnings)
            {
                warnings.Add(warning);
            }
            else if (warnings.Count == IocLimits.MaxWarnings)
            {
                warnings.Add($"more warnings left out (at most {IocLimits.MaxWarnings} are listed)");
            }
        }

        private string NodeId(XElement element)
        {
            if (_ordinal >= IocLimits.MaxNodes)
            {
                throw new IocParseException($"the document has more than {IocLimits.MaxNodes} Indicator and IndicatorItem nodes", LineOf(element));
            }
            var id = Attribute(element, "id");
            if (string.IsNullOrWhiteSpace(id))
            {
                id = string.Create(CultureInfo.InvariantCulture, $"line-{LineOf(element)}");
                Warn($"{id}: {element.Name.LocalName} has no id; it is named '{id}'");
            }
            else if (_byId.ContainsKey(id))
            {
                Warn(string.Create(CultureInfo.InvariantCulture, $"line {LineOf(element)}: the id '{id}' is used by more than one node"));
            }
            return id;
        }

        private static string? Attribute(XElement element, string name)
        {
            var value = element.Attribute(name)?.Value;
            if (value is { Length: > IocLimits.MaxAttributeLength })
            {
                throw new IocParseException($"the attribute '{name}' of '{element.Name.LocalName}' is longer than {IocLimits.MaxAttributeLength} characters", LineOf(element));
            }
            return value;
        }

        private static bool Boolean(XElement element, string name, string id, int line) => Attribute(element, name) switch
        {
            null => false,
            var v when v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1" => true,
            var v when v.Equals("false", StringComparison.OrdinalIgnoreCase) || v == "0" => false,
            var v => throw new IocParseException($"IndicatorItem '{id}': {name}=\"{v}\" is not true or false", line),
        };

        private string Text(XElement parent, string name) => parent.Element(_ns + name)?.Value.Trim() ?? "";

        private static int LineOf(XElement element) => ((IXmlLineInfo)element).LineNumber;
    }
}
