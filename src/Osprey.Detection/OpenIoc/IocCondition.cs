namespace Osprey.Detection.OpenIoc;

/// <summary>
/// The test of an IndicatorItem. OpenIOC 1.0's <c>isnot</c> and <c>containsnot</c> are read as <see cref="Is"/> and
/// <see cref="Contains"/> with the item negated.
/// </summary>
public enum IocCondition
{
    Is,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    GreaterThan,
    LessThan,
}
