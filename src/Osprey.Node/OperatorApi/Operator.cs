namespace Osprey.Node.OperatorApi;

/// <summary>The authenticated operator of a request.</summary>
public sealed record Operator(string Name, string Role);
