using System.Globalization;
using System.Xml;

namespace Osprey.Detection.OpenIoc;

/// <summary>Compiles an IndicatorItem's condition and Content into an <see cref="IocValueTest"/>, checking the Content against its type.</summary>
internal static class IocValueTests
{
    private const string RangeSeparator = " TO ";

    /// <summary>The data type a Content type attribute names; null when Osprey does not know it.</summary>
    public static IocDataType? DataType(string type) => type.ToLowerInvariant() switch
    {
        "" or "string" or "text" => IocDataType.String,
        "int" or "integer" or "long" => IocDataType.Int,
        "double" or "float" => IocDataType.Double,
        "date" or "datetime" => IocDataType.Date,
        "duration" => IocDataType.Duration,
        "bool" or "boolean" => IocDataType.Bool,
        "md5" => IocDataType.Md5,
        "sha1" => IocDataType.Sha1,
        "sha256" => IocDataType.Sha256,
        "ip" => IocDataType.Ip,
        _ => null,
    };

    /// <summary>The test; throws <see cref="IocParseException"/> saying what is wrong with the Content.</summary>
    public static IocValueTest Create(IocCondition condition, IocDataType type, string content, bool preserveCase, int line)
    {
        if (condition == IocCondition.Matches)
        {
            return RegexTest.Create(content, preserveCase, out var error)
                ?? throw new IocParseException($"'{content}' is not a valid regular expression: {error}", line);
        }
        var text = preserveCase && type == IocDataType.String ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        switch (type)
        {
            case IocDataType.Int:
                return Ordered<long>(condition, content, TryParseInt, "an integer", line) ?? new TextTest(condition, content, text);
            case IocDataType.Double:
                return Ordered<double>(condition, content, TryParseDouble, "a number", line) ?? new TextTest(condition, content, text);
            case IocDataType.Date:
                return Ordered<DateTimeOffset>(condition, content, TryParseDate, "a date (ISO 8601)", line) ?? new TextTest(condition, content, text);
            case IocDataType.Duration:
                return Ordered<TimeSpan>(condition, content, TryParseDuration, "a duration (ISO 8601 such as PT5M, or seconds)", line) ?? new TextTest(condition, content, text);
            case IocDataType.Ip when condition == IocCondition.Is:
                return IpTest.TryParseNetwork(content, out var network, out var bits)
                    ? new IpTest(network, bits)
                    : throw new IocParseException($"'{content}' is not an IP address or CIDR network", line);
            case IocDataType.Bool when condition == IocCondition.Is:
                return TryParseBool(content, out var flag)
                    ? new OrderedTest<bool>(IocCondition.Is, flag, flag, TryParseBool)
                    : throw new IocParseException($"'{content}' is not a boolean (true or false)", line);
            case IocDataType.Md5 or IocDataType.Sha1 or IocDataType.Sha256 when condition == IocCondition.Is:
                var length = type switch { IocDataType.Md5 => 32, IocDataType.Sha1 => 40, _ => 64 };
                var hash = content.Trim();
                if (hash.Length != length || !hash.All(char.IsAsciiHexDigit))
                {
                    throw new IocParseException($"'{content}' is not an {type.ToString().ToUpperInvariant()} hash ({length} hexadecimal digits)", line);
                }
                return new TextTest(IocCondition.Is, hash, StringComparison.OrdinalIgnoreCase);
        }
        if (condition is IocCondition.GreaterThan or IocCondition.LessThan)
        {
            // A string (or hash, address) compared by order: as numbers when both read as numbers, otherwise as text.
            return new StringOrderTest(condition, content, text);
        }
        return new TextTest(condition, content, text);
    }

    /// <summary>The ordering test for is (a value or a range), greater-than and less-than; null for the text conditions.</summary>
    private static IocValueTest? Ordered<T>(IocCondition condition, string content, IocValueParser<T> parse, string what, int line)
        where T : IComparable<T>
    {
        if (condition is not (IocCondition.Is or IocCondition.GreaterThan or IocCondition.LessThan))
        {
            return null;
        }
        var range = content.IndexOf(RangeSeparator, StringComparison.OrdinalIgnoreCase);
        if (range >= 0)
        {
            if (condition != IocCondition.Is)
            {
                throw new IocParseException($"the range '{content}' can only be used with the condition 'is'", line);
            }
            var (lowText, highText) = (content[..range].Trim(), content[(range + RangeSeparator.Length)..].Trim());
            if (!parse(lowText, out var low) || !parse(highText, out var high))
            {
                throw new IocParseException($"'{content}' is not a range of {what} (X TO Y)", line);
            }
            if (low.CompareTo(high) > 0)
            {
                throw new IocParseException($"the range '{content}' ends before it starts", line);
            }
            return new OrderedTest<T>(condition, low, high, parse);
        }
        return parse(content.Trim(), out var single)
            ? new OrderedTest<T>(condition, single, single, parse)
            : throw new IocParseException($"'{content}' is not {what}", line);
    }

    public static bool TryParseInt(string text, out long value)
    {
        var span = text.AsSpan().Trim();
        if (span.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        return long.TryParse(span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseDouble(string text, out double value) =>
        double.TryParse(text.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    public static bool TryParseDate(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text.AsSpan().Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out value);

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        var trimmed = text.Trim();
        if (TryParseInt(trimmed, out var seconds) && Math.Abs(seconds) < (long)TimeSpan.MaxValue.TotalSeconds)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        if (trimmed.StartsWith('P') || trimmed.StartsWith("-P", StringComparison.Ordinal))
        {
            try
            {
                value = XmlConvert.ToTimeSpan(trimmed);
                return true;
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                value = default;
                return false;
            }
        }
        return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "1" or "yes":
                value = true;
                return true;
            case "false" or "0" or "no":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
