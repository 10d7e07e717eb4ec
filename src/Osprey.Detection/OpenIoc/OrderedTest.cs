namespace Osprey.Detection.OpenIoc;

/// <summary>
/// is / greater-than / less-than on a value read as a number, date or duration; "is" with a range (<c>X TO Y</c>) holds
/// for values within it, both ends included.
/// </summary>
internal sealed class OrderedTest<T>(IocCondition condition, T low, T high, IocValueParser<T> parse) : IocValueTest
    where T : IComparable<T>
{
    public override bool Test(string value)
    {
        if (!parse(value, out var v))
        {
            return false;
        }
        return condition switch
        {
            IocCondition.Is => v.CompareTo(low) >= 0 && v.CompareTo(high) <= 0,
            IocCondition.GreaterThan => v.CompareTo(low) > 0,
            IocCondition.LessThan => v.CompareTo(low) < 0,
            _ => throw new InvalidOperationException($"{condition} is not an ordering condition"),
        };
    }
}

/// <summary>Reads a value as T; false when it is not one.</summary>
internal delegate bool IocValueParser<T>(string text, out T value);
