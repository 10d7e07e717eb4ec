namespace Osprey.Detection.OpenIoc;

/// <summary>An IndicatorItem's condition and Content, compiled: tests one value of a term (before negation).</summary>
public abstract class IocValueTest
{
    /// <summary>True when the value satisfies the condition; a value that cannot be read as the Content's type does not.</summary>
    public abstract bool Test(string value);

    /// <summary>Rough relative cost, so cheap tests run before regular expressions.</summary>
    public virtual int Cost => 1;
}
