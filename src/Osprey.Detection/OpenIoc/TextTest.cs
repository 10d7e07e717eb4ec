namespace Osprey.Detection.OpenIoc;

/// <summary>is / contains / starts-with / ends-with on the text of the value.</summary>
internal sealed class TextTest(IocCondition condition, string content, StringComparison comparison) : IocValueTest
{
    public IocCondition Condition => condition;

    public string Content => content;

    public override bool Test(string value) => condition switch
    {
        IocCondition.Is => value.Equals(content, comparison),
        IocCondition.Contains => value.Contains(content, comparison),
        IocCondition.StartsWith => value.StartsWith(content, comparison),
        IocCondition.EndsWith => value.EndsWith(content, comparison),
        _ => throw new InvalidOperationException($"{condition} is not a text condition"),
    };
}
