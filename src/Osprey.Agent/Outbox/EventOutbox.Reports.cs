namespace Osprey.Agent.Outbox;

public sealed partial class EventOutbox
{
    /// <summary>Queues a task report (never dropped by the limits: reports are small and must reach the node).</summary>
    public void AppendReport(byte[] body)
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "INSERT INTO reports (created_us, body) VALUES ($time, $body)";
            command.Parameters.AddWithValue("$time", _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
            command.Parameters.AddWithValue("$body", body);
            command.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<(long Id, byte[] Body)> ReadReports(int max)
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT id, body FROM reports ORDER BY id LIMIT $max";
            command.Parameters.AddWithValue("$max", max);
            using var reader = command.ExecuteReader();
            var reports = new List<(long, byte[])>();
            while (reader.Read())
            {
                reports.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
            }
            return reports;
        }
    }

    public void DeleteReports(long throughId)
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "DELETE FROM reports WHERE id <= $id";
            command.Parameters.AddWithValue("$id", throughId);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Keeps a task received from the node until the task engine has handled it.</summary>
    public void RememberTask(string taskId, byte[] definition)
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "INSERT OR IGNORE INTO tasks (task_id, received_us, body) VALUES ($id, $time, $body)";
            command.Parameters.AddWithValue("$id", taskId);
            command.Parameters.AddWithValue("$time", _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
            command.Parameters.AddWithValue("$body", definition);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>IDs of tasks the agent holds, sent with every sync so the node does not deliver them again.</summary>
    public IReadOnlyList<string> KnownTaskIds()
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText = "SELECT task_id FROM tasks ORDER BY received_us LIMIT 10000";
            using var reader = command.ExecuteReader();
            var ids = new List<string>();
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }
    }

    /// <summary>The task has started a run (a one-off task found started after a restart is not run again).</summary>
    public void MarkTaskStarted(string taskId) => SetProgress(taskId, "started_us");

    /// <summary>The task is over: it stays known (so the node does not send it again) but is not resumed.</summary>
    public void FinishTask(string taskId) => SetProgress(taskId, "finished_us");

    /// <summary>Tasks held and not finished, oldest first, and whether each had started.</summary>
    public IReadOnlyList<(Contracts.V1.TaskDefinition Definition, bool Started)> UnfinishedTasks()
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText =
                "SELECT t.body, p.started_us IS NOT NULL FROM tasks AS t LEFT JOIN task_progress AS p ON p.task_id = t.task_id " +
                "WHERE p.finished_us IS NULL ORDER BY t.received_us";
            using var reader = command.ExecuteReader();
            var tasks = new List<(Contracts.V1.TaskDefinition, bool)>();
            while (reader.Read())
            {
                tasks.Add((Contracts.V1.TaskDefinition.Parser.ParseFrom((byte[])reader.GetValue(0)), reader.GetBoolean(1)));
            }
            return tasks;
        }
    }

    private void SetProgress(string taskId, string column)
    {
        lock (_lock)
        {
            using var command = _db.CreateCommand();
            command.CommandText =
                $"INSERT INTO task_progress (task_id, {column}) VALUES ($id, $time) ON CONFLICT (task_id) DO UPDATE SET {column} = excluded.{column}";
            command.Parameters.AddWithValue("$id", taskId);
            command.Parameters.AddWithValue("$time", _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);
            command.ExecuteNonQuery();
        }
    }
}
