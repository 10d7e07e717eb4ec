using Osprey.Detection.Hunting;

namespace Osprey.Node.Storage;

/// <summary>The hunting compiler as the SQLite events store uses it.</summary>
internal static class HuntingSql
{
    private static readonly HuntingQueryCompiler Compiler = new(EventsSchema.Default, SqliteDialect.Instance);

    /// <summary>An empty query matches every event.</summary>
    public static CompiledSql Compile(string query) =>
        string.IsNullOrWhiteSpace(query) ? new CompiledSql("1", []) : Compiler.Compile(query);

    public static string OrderBy(string sort, bool descending) =>
        Compiler.CompileOrderBy($"{sort} {(descending ? "desc" : "asc")}");

    public static bool IsEventTime(string sort) => string.Equals(sort, "EventTime", StringComparison.OrdinalIgnoreCase);
}
