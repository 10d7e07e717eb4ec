using System.Diagnostics.CodeAnalysis;
using Osprey.Detection.Hunting;

namespace Osprey.Detection.Tests.Hunting;

/// <summary>A schema of exactly the given fields, matched by name ignoring case.</summary>
internal sealed class TestSchema(params HuntingField[] fields) : IHuntingSchema
{
    public bool TryResolve(string name, [NotNullWhen(true)] out HuntingField? field)
    {
        field = fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
        return field is not null;
    }
}
