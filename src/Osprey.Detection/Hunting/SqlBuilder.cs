using System.Globalization;
using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>The SQL text and parameter values of one compilation.</summary>
internal sealed class SqlBuilder
{
    private readonly List<KeyValuePair<string, object>> _parameters = [];

    public StringBuilder Text { get; } = new();

    /// <summary>Conditions written so far; a field so <see cref="HuntingTree.CountTerm"/> can take it by reference.</summary>
    public int Terms;

    /// <summary>Adds a parameter and returns its name (<c>@p0</c>, <c>@p1</c>, …) to write into the SQL.</summary>
    public string Add(object value)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"@p{_parameters.Count}");
        _parameters.Add(new KeyValuePair<string, object>(name, value));
        return name;
    }

    public CompiledSql ToCompiledSql() => new(Text.ToString(), _parameters.AsReadOnly());
}
