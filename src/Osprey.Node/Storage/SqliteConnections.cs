using Microsoft.Data.Sqlite;

namespace Osprey.Node.Storage;

/// <summary>Opens SQLite connections with the node's pragmas (WAL, full fsync on commit, foreign keys).</summary>
internal static class SqliteConnections
{
    public static SqliteConnection Open(string path)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        // synchronous=FULL: a commit is on disk before we acknowledge it (WAL fsync per commit).
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
