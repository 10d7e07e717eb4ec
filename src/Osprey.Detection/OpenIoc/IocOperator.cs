namespace Osprey.Detection.OpenIoc;

/// <summary>How an Indicator combines its children.</summary>
public enum IocOperator
{
    And,
    Or,
}
