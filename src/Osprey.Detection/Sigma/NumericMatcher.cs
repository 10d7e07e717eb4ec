using System.Globalization;

namespace Osprey.Detection.Sigma;

/// <summary>The field, read as a number, compares with the value (gt, gte, lt, lte); text that is no number never matches.</summary>
internal sealed class NumericMatcher(SigmaModifier comparison, double number) : SigmaMatcher
{
    public override int Cost => 2;

    public override bool Matches(ReadOnlySpan<char> value)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var actual))
        {
            return false;
        }

        return comparison switch
        {
            SigmaModifier.Gt => actual > number,
            SigmaModifier.Gte => actual >= number,
            SigmaModifier.Lt => actual < number,
            _ => actual <= number,
        };
    }
}
