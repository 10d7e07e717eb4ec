using System.Diagnostics.CodeAnalysis;

namespace Osprey.Detection.Hunting;

/// <summary>Maps the field names a hunting query uses to the columns and JSON paths that store them.</summary>
public interface IHuntingSchema
{
    /// <summary>Finds the field <paramref name="name"/> names; false when the query must not use it.</summary>
    bool TryResolve(string name, [NotNullWhen(true)] out HuntingField? field);

    /// <summary>Why <paramref name="name"/> did not resolve, for the error message.</summary>
    string ExplainUnresolved(string name) => "unknown field '" + HuntingText.Truncate(name) + "'";
}
