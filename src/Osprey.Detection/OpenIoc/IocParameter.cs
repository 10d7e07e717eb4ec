namespace Osprey.Detection.OpenIoc;

/// <summary>An OpenIOC 1.1 parameter: a name and value attached to the node its ref-id names.</summary>
public sealed record IocParameter(string Id, string RefId, string Name, string Value, string ValueType);
