using Microsoft.Data.Sqlite;
using Osprey.Node.Ingest;

namespace Osprey.Node.Storage;

/// <summary>Opens SQLite connections with the node's pragmas (WAL, full fsync on commit) and functions.</summary>
internal static class SqliteConnections
{
    /// <summary>
    /// Opens (creating if needed) a database. <paramref name="creationPragmas"/> run first, while a new file
    /// can still take them (page size, auto-vacuum are fixed once the first page is written).
    /// </summary>
    public static SqliteConnection Open(string path, string? creationPragmas = null)
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
        // The events tables expose their payload as JSON through a virtual column computed by this function.
        connection.CreateFunction<byte[]?, string?>("osprey_payload", EventColumns.PayloadJson, isDeterministic: true);
        using var pragma = connection.CreateCommand();
        // synchronous=FULL: a commit is on disk before we acknowledge it (WAL fsync per commit).
        pragma.CommandText = (creationPragmas ?? "") + "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
        return connection;
    }
}
