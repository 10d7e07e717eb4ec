using System.Runtime.CompilerServices;
using System.Text.Json;
using Osprey.Detection.Hunting;
using Osprey.Node.Hosting;

namespace Osprey.Node.Storage;

// Retrospective scans: candidate events by value lists on typed columns, read with their serialized bodies.
public sealed partial class SqliteEventStore
{
    public async IAsyncEnumerable<(string AgentId, byte[] Body)> ScanAsync(EventScan scan, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (scan.IsEmpty)
        {
            yield break;
        }
        var terms = new List<string>();
        var parameters = new List<KeyValuePair<string, object>>();
        foreach (var (column, values) in scan.Texts.Where(t => t.Value.Count > 0))
        {
            CheckColumn(EventScan.TextColumns, column);
            var name = "$p" + parameters.Count;
            if (KeyColumnOf(column) is { } keyColumn)
            {
                // Hashes and UniquePIDs are found through the index on their lookup keys, then compared as text.
                var keys = "$p" + (parameters.Count + 1);
                terms.Add($"(e.{keyColumn} IN (SELECT value FROM json_each({keys})) AND e.{column} IN (SELECT value FROM json_each({name})))");
                parameters.Add(new(name, JsonSerializer.Serialize(values.ToArray(), ExportJsonContext.Default.StringArray)));
                parameters.Add(new(keys, "[" + string.Join(',', values.Select(v => LookupKey.Of(v))) + "]"));
                continue;
            }
            terms.Add($"e.{column} COLLATE NOCASE IN (SELECT value FROM json_each({name}))");
            parameters.Add(new(name, JsonSerializer.Serialize(values.ToArray(), ExportJsonContext.Default.StringArray)));
        }
        foreach (var (column, values) in scan.Numbers.Where(n => n.Value.Count > 0))
        {
            CheckColumn(EventScan.NumberColumns, column);
            var name = "$p" + parameters.Count;
            terms.Add($"e.{column} IN (SELECT value FROM json_each({name}))");
            parameters.Add(new(name, "[" + string.Join(',', values) + "]"));
        }
        if (scan.EventTypes.Count > 0)
        {
            var name = "$p" + parameters.Count;
            terms.Add($"e.event_type IN (SELECT value FROM json_each({name}))");
            parameters.Add(new(name, JsonSerializer.Serialize(scan.EventTypes.ToArray(), ExportJsonContext.Default.StringArray)));
        }
        var window = new EventQuery { FromUs = scan.FromUs, ToUs = scan.ToUs };
        var range = TimeRange(window);
        await using var connection = OpenReader();
        foreach (var partition in PartitionsIn(scan.FromUs, scan.ToUs, descending: false).SelectMany(TablesOf))
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT e.agent_id, b.body FROM {partition} AS e JOIN {BodyTable(partition)} AS b ON b.id = e.id " +
                $"WHERE {range.Replace("event_time", "e.event_time", StringComparison.Ordinal)} AND ({string.Join(" OR ", terms)}) ORDER BY e.event_time, e.id";
            Bind(command, parameters, window);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return (reader.GetString(0), (byte[])reader.GetValue(1));
            }
        }
    }

    public async IAsyncEnumerable<byte[]> ReadSequencesAsync(
        string agentId, long firstSeq, long lastSeq, long fromUs, long toUs, long storedUs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The day tables of the events' times, and the day they were stored (where events dated implausibly went).
        var stored = PartitionName(NodeClock.FromUs(storedUs));
        var partitions = PartitionsIn(fromUs, toUs, descending: false);
        if (!partitions.Contains(stored) && Partitions().Contains(stored))
        {
            partitions.Add(stored);
        }
        await using var connection = OpenReader();
        foreach (var partition in partitions.SelectMany(TablesOf))
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"SELECT b.body FROM {partition} AS e JOIN {BodyTable(partition)} AS b ON b.id = e.id " +
                "WHERE e.event_time BETWEEN $from AND $to AND e.agent_id = $agent AND e.seq BETWEEN $first AND $last ORDER BY e.seq";
            command.Parameters.AddWithValue("$from", fromUs);
            command.Parameters.AddWithValue("$to", toUs);
            command.Parameters.AddWithValue("$agent", agentId);
            command.Parameters.AddWithValue("$first", firstSeq);
            command.Parameters.AddWithValue("$last", lastSeq);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return (byte[])reader.GetValue(0);
            }
        }
    }

    private static string? KeyColumnOf(string column) =>
        Array.Find(KeyedColumns, k => k.Column == column) is { KeyColumn: { } key } ? key : null;

    private static void CheckColumn(IReadOnlySet<string> allowed, string column)
    {
        if (!allowed.Contains(column))
        {
            throw new ArgumentException($"'{column}' is not a column a scan can name", nameof(column));
        }
    }
}
