using Microsoft.Data.Sqlite;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Support;

/// <summary>
/// An empty day table (and, when asked, the same day in an attached second shard) in a scratch database, for reading
/// the plans SQLite makes for the store's queries.
/// </summary>
internal sealed class DayTablePlans : IDisposable
{
    private readonly TempDirectory _dir;
    private readonly SqliteConnection _connection;

    public DayTablePlans(bool secondShard = false)
    {
        _dir = new TempDirectory("osprey-store-plan");
        Partition = SqliteEventStore.PartitionName(DateTimeOffset.UtcNow);
        _connection = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "events.db")};Pooling=false");
        _connection.Open();
        using (var ddl = _connection.CreateCommand())
        {
            ddl.CommandText = SqliteEventStore.PartitionDdl(Partition);
            if (secondShard)
            {
                // An index is created in the schema its name gives, on a table named without one.
                ddl.CommandText += $"ATTACH DATABASE '{Path.Combine(_dir.Path, "events-1.db")}' AS shard1; " +
                    SqliteEventStore.PartitionDdl("shard1." + Partition).Replace($"ON shard1.{Partition}", $"ON {Partition}", StringComparison.Ordinal);
            }
            ddl.ExecuteNonQuery();
        }
        _connection.CreateFunction<byte[]?, string?>("osprey_payload", _ => null, isDeterministic: true);
    }

    /// <summary>Today's day table (also the second shard's, as <c>shard1.</c> + this).</summary>
    public string Partition { get; }

    /// <summary>The detail column of each step of <c>EXPLAIN QUERY PLAN</c> for <paramref name="sql"/>.</summary>
    public List<string> Steps(string sql, IEnumerable<KeyValuePair<string, object>>? parameters = null)
    {
        using var plan = _connection.CreateCommand();
        plan.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters ?? [])
        {
            plan.Parameters.AddWithValue(name, value);
        }
        using var reader = plan.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            steps.Add(reader.GetString(3));
        }
        return steps;
    }

    public void Dispose()
    {
        _connection.Dispose();
        _dir.Dispose();
    }
}
