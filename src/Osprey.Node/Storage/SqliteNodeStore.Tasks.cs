using Dapper;
using Microsoft.Data.Sqlite;

namespace Osprey.Node.Storage;

// Tasks and their reports.
public sealed partial class SqliteNodeStore
{
    private const string TaskColumns =
        "task_id AS TaskId, agent_id AS AgentId, type AS Type, state AS State, created_us AS CreatedUs, created_by AS CreatedBy, " +
        "definition AS Definition, delivered_us AS DeliveredUs, deliver_by_us AS DeliverByUs, run_as_secret AS RunAsSecret, recurring AS Recurring";

    /// <summary>Columns added after the first schema (version 1 had none of them).</summary>
    private static void MigrateTasks(SqliteConnection db)
    {
        var columns = db.Query<string>("SELECT name FROM pragma_table_info('tasks')").ToHashSet(StringComparer.Ordinal);
        using var transaction = db.BeginTransaction();
        foreach (var (name, type) in (ReadOnlySpan<(string, string)>)[("deliver_by_us", "INTEGER"), ("run_as_secret", "BLOB"), ("recurring", "INTEGER NOT NULL DEFAULT 0")])
        {
            if (!columns.Contains(name))
            {
                db.Execute($"ALTER TABLE tasks ADD COLUMN {name} {type}", transaction: transaction);
            }
        }
        db.Execute("CREATE INDEX IF NOT EXISTS reports_task ON reports(task_id, id)", transaction: transaction);
        transaction.Commit();
    }

    public void AddTasks(IReadOnlyList<TaskRecord> tasks)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        foreach (var task in tasks)
        {
            db.Execute(
                "INSERT INTO tasks(task_id, agent_id, type, state, created_us, created_by, definition, deliver_by_us, run_as_secret, recurring) " +
                "VALUES (@TaskId, @AgentId, @Type, @State, @CreatedUs, @CreatedBy, @Definition, @DeliverByUs, @RunAsSecret, @Recurring)",
                task, transaction);
        }
        transaction.Commit();
    }

    public void AddTask(TaskRecord task) => AddTasks([task]);

    public IReadOnlyList<TaskRecord> PendingTasks(string agentId, long nowUs)
    {
        using var db = Open();
        // A task the agent did not fetch before its timeout is paused: the operator decides whether it still applies.
        db.Execute("UPDATE tasks SET state = 'paused' WHERE agent_id = @agentId AND state = 'pending' AND deliver_by_us < @nowUs", new { agentId, nowUs });
        return db.Query<TaskRecord>(
            $"SELECT {TaskColumns} FROM tasks WHERE agent_id = @agentId AND state IN ('pending', 'delivered', 'running') ORDER BY created_us", new { agentId }).AsList();
    }

    public IReadOnlyList<string> CancellingTasks(string agentId)
    {
        using var db = Open();
        return db.Query<string>("SELECT task_id FROM tasks WHERE agent_id = @agentId AND state = 'cancelling'", new { agentId }).AsList();
    }

    public void MarkDelivered(IEnumerable<string> taskIds, long nowUs)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        foreach (var taskId in taskIds)
        {
            db.Execute("UPDATE tasks SET state = 'delivered', delivered_us = @nowUs WHERE task_id = @taskId AND state = 'pending'", new { taskId, nowUs }, transaction);
        }
        transaction.Commit();
    }

    public IReadOnlyList<TaskRecord> ListTasks(int limit) => ListTasks(new TaskFilter { Limit = limit });

    public IReadOnlyList<TaskRecord> ListTasks(TaskFilter filter)
    {
        using var db = Open();
        return db.Query<TaskRecord>(
            $"SELECT {TaskColumns} FROM tasks WHERE (@AgentId IS NULL OR agent_id = @AgentId) AND (@State IS NULL OR state = @State) " +
            "AND (@Type IS NULL OR type = @Type) ORDER BY created_us DESC, task_id LIMIT @Limit", filter).AsList();
    }

    public TaskRecord? GetTask(string taskId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<TaskRecord>($"SELECT {TaskColumns} FROM tasks WHERE task_id = @taskId", new { taskId });
    }

    public IReadOnlyList<ReportRecord> Reports(string taskId)
    {
        using var db = Open();
        return db.Query<ReportRecord>(
            "SELECT id AS Id, task_id AS TaskId, agent_id AS AgentId, received_us AS ReceivedUs, status AS Status, report AS Report FROM reports WHERE task_id = @taskId ORDER BY id",
            new { taskId }).AsList();
    }

    public string? CancelTask(string taskId)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        var state = db.QuerySingleOrDefault<string>("SELECT state FROM tasks WHERE task_id = @taskId", new { taskId }, transaction);
        var next = state switch
        {
            "pending" or "paused" => "cancelled", // never reached the agent
            "delivered" or "running" => "cancelling", // the agent stops it and reports
            _ => null,
        };
        if (next is not null)
        {
            db.Execute("UPDATE tasks SET state = @next WHERE task_id = @taskId", new { taskId, next }, transaction);
        }
        transaction.Commit();
        return next ?? state;
    }

    public bool AddReport(string taskId, string agentId, long nowUs, string status, byte[] report)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        var task = db.QuerySingleOrDefault<(string State, long Recurring)?>(
            "SELECT state, recurring FROM tasks WHERE task_id = @taskId AND agent_id = @agentId", new { taskId, agentId }, transaction);
        if (task is not { } known)
        {
            return false;
        }
        // A recurring task stays with the agent between runs; a cancelled one only ends when the agent says it stopped.
        var state = status switch
        {
            _ when known.State == "cancelled" => "cancelled",
            "running" => known.State == "cancelling" ? "cancelling" : "running",
            "cancelled" => "cancelled",
            _ when known.Recurring != 0 && known.State != "cancelling" => "delivered",
            _ => status,
        };
        db.Execute("UPDATE tasks SET state = @state WHERE task_id = @taskId", new { taskId, state }, transaction);
        db.Execute(
            "INSERT INTO reports(task_id, agent_id, received_us, status, report) VALUES (@taskId, @agentId, @nowUs, @status, @report)",
            new { taskId, agentId, nowUs, status, report }, transaction);
        transaction.Commit();
        return true;
    }
}
