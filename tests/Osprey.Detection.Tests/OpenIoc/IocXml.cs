using System.Security;
using Osprey.Detection.OpenIoc;
using Xunit;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>Builds small OpenIOC 1.0 and 1.1 documents for tests.</summary>
internal static class IocXml
{
    private static int _next;

    /// <summary>An IndicatorItem; <paramref name="id"/> defaults to a fresh one.</summary>
    public static string Item(string condition, string search, string content, string type = "string", bool? negate = null, bool? preserveCase = null, string? id = null)
    {
        id ??= "item-" + Interlocked.Increment(ref _next);
        var document = search.Split('/')[0];
        var attributes = (negate is { } n ? $" negate=\"{(n ? "true" : "false")}\"" : "") + (preserveCase is { } p ? $" preserve-case=\"{(p ? "true" : "false")}\"" : "");
        return $"""<IndicatorItem id="{id}" condition="{condition}"{attributes}><Context document="{document}" search="{search}" type="mir"/><Content type="{type}">{SecurityElement.Escape(content)}</Content></IndicatorItem>""";
    }

    public static string Indicator(string op, string id, params string[] children) =>
        $"""<Indicator operator="{op}" id="{id}">{string.Concat(children)}</Indicator>""";

    /// <summary>An OpenIOC 1.1 document around top-level indicators.</summary>
    public static string Document11(params string[] indicators) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="doc-11" last-modified="2024-01-01T00:00:00Z" published-date="0001-01-01T00:00:00">
          <metadata><short_description>test 1.1</short_description><authored_by>tests</authored_by><authored_date>2024-01-01T00:00:00Z</authored_date><links/></metadata>
          <criteria>{string.Concat(indicators)}</criteria>
          <parameters/>
        </OpenIOC>
        """;

    /// <summary>An OpenIOC 1.0 document around its one indicator.</summary>
    public static string Document10(string indicator) => $"""
        <?xml version="1.0" encoding="us-ascii"?>
        <ioc xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" id="doc-10" last-modified="2013-02-21T00:00:00" xmlns="http://schemas.mandiant.com/2010/ioc">
          <short_description>test 1.0</short_description>
          <definition>{indicator}</definition>
        </ioc>
        """;

    /// <summary>Parses, failing the test with the reason when the document is rejected.</summary>
    public static IocDocument Parse(string xml)
    {
        var result = IocParser.Parse(xml, "test.ioc");
        Assert.True(result.Parsed, result.Message);
        return result.Document!;
    }

    /// <summary>The reason a document is rejected, failing the test when it parses.</summary>
    public static string Reject(string xml)
    {
        var result = IocParser.Parse(xml, "test.ioc");
        Assert.False(result.Parsed, "the document parsed but should have been rejected");
        return result.Reason!;
    }

    /// <summary>Whether one item (in a 1.1 document) matches an object with the given values of its term.</summary>
    public static bool Matches(string item, IIocObject o)
    {
        var document = Parse(Document11(Indicator("OR", "top", item)));
        return new IocEvaluator(IocTermCatalog.Endpoint).Evaluate(document.Indicators[0], new IocObjectSet([o])).Detected;
    }
}
