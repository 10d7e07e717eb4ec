using Osprey.Detection.OpenIoc;

namespace Osprey.Detection.Tests.OpenIoc;

/// <summary>An object with fixed term values, as the agent's scanners and the node's events give them.</summary>
internal sealed class IocTestObject(string document, params (string Term, string Value)[] values) : IIocObject
{
    public string Document => document;

    public string Name => Values($"{document}/name")?[0] ?? Values($"{document}/FileName")?[0] ?? document;

    public IReadOnlyList<string>? Values(string search)
    {
        var found = values.Where(v => string.Equals($"{document}/{v.Term}", search, StringComparison.OrdinalIgnoreCase)).Select(v => v.Value).ToList();
        return found.Count == 0 ? null : found;
    }

    public override string ToString() => $"{document} {string.Join(", ", values.Select(v => $"{v.Term}={v.Value}"))}";
}
