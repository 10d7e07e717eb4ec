using Dapper;
using Microsoft.Data.Sqlite;

namespace Osprey.Node.Storage;

// Detection rules.
public sealed partial class SqliteNodeStore
{
    private const string RulesSchema = """
        CREATE TABLE IF NOT EXISTS rules (
            rule_id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, source_name TEXT NOT NULL, document INTEGER NOT NULL,
            content TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, importance TEXT NOT NULL, confidence TEXT NOT NULL,
            techniques TEXT NOT NULL, tactics TEXT NOT NULL, enabled INTEGER NOT NULL, version INTEGER NOT NULL,
            created_by TEXT NOT NULL, created_us INTEGER NOT NULL, updated_by TEXT NOT NULL, updated_us INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS rules_kind ON rules(kind, status, enabled);
        """;

    private const string RuleColumns =
        "rule_id AS RuleId, kind AS Kind, title AS Title, source_name AS SourceName, document AS Document, content AS Content, status AS Status, " +
        "reason AS Reason, importance AS Importance, confidence AS Confidence, techniques AS Techniques, tactics AS Tactics, enabled AS Enabled, " +
        "scope AS Scope, version AS Version, created_by AS CreatedBy, created_us AS CreatedUs, updated_by AS UpdatedBy, updated_us AS UpdatedUs";

    private static void CreateDetectionTables(SqliteConnection db)
    {
        db.Execute(RulesSchema);
        // Added after the first release of the rules table: local (this node) or global (from a primary).
        if (!db.Query<string>("SELECT name FROM pragma_table_info('rules')").Contains("scope", StringComparer.Ordinal))
        {
            db.Execute("ALTER TABLE rules ADD COLUMN scope TEXT NOT NULL DEFAULT 'local'");
        }
        db.Execute(AlertsSchema);
        db.Execute(DetectionBacklogSchema);
        CreateIncidentTables(db);
    }

    public void UpsertRules(IReadOnlyList<StoredRule> rules)
    {
        using var db = Open();
        using var transaction = db.BeginTransaction();
        foreach (var rule in rules)
        {
            // A re-import replaces the text and what compiling it gave; whether the rule is enabled, and its scope, stay the operator's choice.
            db.Execute(
                """
                INSERT INTO rules(rule_id, kind, title, source_name, document, content, status, reason, importance, confidence, techniques, tactics,
                                  enabled, scope, version, created_by, created_us, updated_by, updated_us)
                VALUES (@RuleId, @Kind, @Title, @SourceName, @Document, @Content, @Status, @Reason, @Importance, @Confidence, @Techniques, @Tactics,
                        @Enabled, @Scope, 1, @CreatedBy, @CreatedUs, @UpdatedBy, @UpdatedUs)
                ON CONFLICT(rule_id) DO UPDATE SET kind = excluded.kind, title = excluded.title, source_name = excluded.source_name,
                    document = excluded.document, content = excluded.content, status = excluded.status, reason = excluded.reason,
                    importance = excluded.importance, confidence = excluded.confidence, techniques = excluded.techniques, tactics = excluded.tactics,
                    version = rules.version + 1, updated_by = excluded.updated_by, updated_us = excluded.updated_us
                """,
                rule, transaction);
        }
        transaction.Commit();
    }

    public IReadOnlyList<StoredRule> ListRules(RuleFilter filter)
    {
        using var db = Open();
        return db.Query<StoredRule>(
            $"SELECT {RuleColumns} FROM rules WHERE (@Kind IS NULL OR kind = @Kind) AND (@Status IS NULL OR status = @Status) " +
            "AND (@Enabled IS NULL OR enabled = @Enabled) ORDER BY title, rule_id LIMIT @Limit", filter).AsList();
    }

    public StoredRule? GetRule(string ruleId)
    {
        using var db = Open();
        return db.QuerySingleOrDefault<StoredRule>($"SELECT {RuleColumns} FROM rules WHERE rule_id = @ruleId", new { ruleId });
    }

    public bool SetRuleEnabled(string ruleId, bool enabled, string by, long nowUs)
    {
        using var db = Open();
        return db.Execute(
            "UPDATE rules SET enabled = @enabled, version = version + 1, updated_by = @by, updated_us = @nowUs WHERE rule_id = @ruleId",
            new { ruleId, enabled, by, nowUs }) == 1;
    }

    public bool SetRuleScope(string ruleId, string scope, string by, long nowUs)
    {
        using var db = Open();
        return db.Execute(
            "UPDATE rules SET scope = @scope, version = version + 1, updated_by = @by, updated_us = @nowUs WHERE rule_id = @ruleId",
            new { ruleId, scope, by, nowUs }) == 1;
    }
}
