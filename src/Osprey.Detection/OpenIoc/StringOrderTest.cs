namespace Osprey.Detection.OpenIoc;

/// <summary>greater-than / less-than on a string Content: as numbers when value and Content both read as integers, otherwise as text.</summary>
internal sealed class StringOrderTest : IocValueTest
{
    private readonly IocCondition _condition;
    private readonly string _content;
    private readonly StringComparison _comparison;
    private readonly long? _number;

    public StringOrderTest(IocCondition condition, string content, StringComparison comparison)
    {
        (_condition, _content, _comparison) = (condition, content, comparison);
        _number = IocValueTests.TryParseInt(content, out var number) ? number : null;
    }

    public override bool Test(string value)
    {
        var order = _number is { } number && IocValueTests.TryParseInt(value, out var v)
            ? v.CompareTo(number)
            : string.Compare(value, _content, _comparison);
        return _condition == IocCondition.GreaterThan ? order > 0 : order < 0;
    }
}
