namespace Osprey.Node.Storage;

/// <summary>The node's own records: operators, tokens, agents, tasks, reports, the quarantine index, detection rules, alerts and the audit log.</summary>
public interface INodeStore
{
    void Initialize();

    bool AddUser(string name, string role, string? passwordHash, long nowUs);
    UserRecord? GetUser(string name);
    IReadOnlyList<UserRecord> ListUsers();
    bool SetRole(string name, string role);

    void AddApiToken(string id, string userName, byte[] tokenHash, long nowUs, long? expiresUs);
    UserRecord? FindUserByApiToken(byte[] tokenHash, long nowUs);

    void AddEnrollToken(string id, byte[] tokenHash, long nowUs, long expiresUs, int maxUses, string createdBy);
    IReadOnlyList<EnrollTokenRecord> ListEnrollTokens();
    bool RevokeEnrollToken(string id);

    /// <summary>Consumes one use of the token and records the new agent, atomically.</summary>
    EnrollOutcome Enroll(byte[] tokenHash, long nowUs, string agentId, string certificateSerial, string hostName, byte[] device);

    AgentRecord? GetAgent(string agentId);
    IReadOnlyList<AgentRecord> ListAgents();
    bool RevokeAgent(string agentId);
    void RecordSync(string agentId, long nowUs, string hostName, string nodeAddress, byte[] device, byte[] status);

    void AddTask(TaskRecord task);

    /// <summary>Adds the tasks of one operator request (one per agent) in one transaction.</summary>
    void AddTasks(IReadOnlyList<TaskRecord> tasks);

    /// <summary>The agent's tasks not yet finished (pausing first those not fetched before their timeout).</summary>
    IReadOnlyList<TaskRecord> PendingTasks(string agentId, long nowUs);

    /// <summary>IDs of the agent's tasks an operator cancelled after delivery.</summary>
    IReadOnlyList<string> CancellingTasks(string agentId);

    void MarkDelivered(IEnumerable<string> taskIds, long nowUs);
    IReadOnlyList<TaskRecord> ListTasks(int limit);
    IReadOnlyList<TaskRecord> ListTasks(TaskFilter filter);
    TaskRecord? GetTask(string taskId);
    IReadOnlyList<ReportRecord> Reports(string taskId);

    /// <summary>Cancels a task: the state it is in afterwards ("cancelled", "cancelling" or an end state it had already reached); null if unknown.</summary>
    string? CancelTask(string taskId);

    /// <summary>Stores a report and moves the task's state; false when the agent has no such task.</summary>
    bool AddReport(string taskId, string agentId, long nowUs, string status, byte[] report);

    /// <summary>Adds or replaces quarantine entries (from a quarantine task's report), in one transaction.</summary>
    void UpsertQuarantine(IReadOnlyList<QuarantineRecord> records);

    /// <summary>Moves the agent's named entries to a state (restored, deleted); how many it knew.</summary>
    int SetQuarantineState(string agentId, IReadOnlyList<string> quarantineIds, string state, string taskId, long nowUs);

    IReadOnlyList<QuarantineRecord> ListQuarantine(QuarantineFilter filter);
    QuarantineRecord? GetQuarantine(string agentId, string quarantineId);
    /// <summary>Adds rules or replaces their text and compile outcome (keeping whether each is enabled), in one transaction.</summary>
    void UpsertRules(IReadOnlyList<StoredRule> rules);
    IReadOnlyList<StoredRule> ListRules(RuleFilter filter);
    StoredRule? GetRule(string ruleId);
    bool SetRuleEnabled(string ruleId, bool enabled, string by, long nowUs);
    bool SetRuleScope(string ruleId, string scope, string by, long nowUs);

    /// <summary>
    /// Records matches in one transaction: a (rule, event) pair already linked is a duplicate; otherwise the open alert
    /// of the same rule, agent and day is updated, or a new one created.
    /// </summary>
    IReadOnlyList<(AlertChange Change, string? AlertId)> RecordDetections(IReadOnlyList<DetectionHit> hits, long nowUs);
    /// <summary>Records a stored batch whose streaming evaluation was skipped, for detection to catch up on.</summary>
    void AddDetectionBacklog(DetectionBacklogEntry entry);

    /// <summary>The oldest skipped batches still to evaluate.</summary>
    IReadOnlyList<DetectionBacklogEntry> DetectionBacklog(int limit);

    void RemoveDetectionBacklog(long id);

    IReadOnlyList<AlertRecord> ListAlerts(AlertFilter filter);
    AlertRecord? GetAlert(string alertId);
    IReadOnlyList<string> AlertEventIds(string alertId, int limit);
    IReadOnlyList<AlertCommentRecord> AlertComments(string alertId);
    bool AssignAlert(string alertId, string? assignee, long nowUs);
    bool SetAlertStatus(string alertId, string status, long nowUs);
    bool SetAlertVip(string alertId, bool vip, long nowUs);
    bool AddAlertComment(string alertId, string author, string text, long nowUs);

    /// <summary>Creates an incident grouping the alerts; nothing is stored unless every alert can join it.</summary>
    IncidentOutcome CreateIncident(string incidentId, string title, IReadOnlyList<string> alertIds, string by, long nowUs);

    /// <summary>Removes then adds alerts in one transaction; nothing changes unless all of it can be done.</summary>
    IncidentOutcome ChangeIncidentAlerts(string incidentId, IReadOnlyList<string> add, IReadOnlyList<string> remove, string by, long nowUs);
    IReadOnlyList<IncidentRecord> ListIncidents(IncidentFilter filter);
    IncidentRecord? GetIncident(string incidentId);
    IReadOnlyList<AlertRecord> IncidentAlerts(string incidentId);

    /// <summary>Sets the status; when <paramref name="closeAlerts"/>, its alerts that are not closed are closed with it.</summary>
    bool SetIncidentStatus(string incidentId, string status, bool closeAlerts, long nowUs);
    bool AssignIncident(string incidentId, string? assignee, long nowUs);
    bool AddIncidentComment(string incidentId, string author, string text, long nowUs);
    IReadOnlyList<AlertCommentRecord> IncidentComments(string incidentId);

    /// <summary>Marks a host VIP (or not): its new alerts and its open ones carry the mark.</summary>
    void SetHostVip(string agentId, bool vip, string by, long nowUs);
    bool IsVipHost(string agentId);

    /// <summary>Turns the log of alert changes the SIEM export reads on, or off (and empties it).</summary>
    void SetAlertChangeLog(bool on);
    long? ExportCursor(string stream);
    void SetExportCursor(string stream, long position, long nowUs);
    long ExportHead(string stream);
    IReadOnlyList<(long Seq, string Change, AlertRecord Alert)> AlertChangesAfter(long after, int limit);
    IReadOnlyList<AuditRecord> AuditAfter(long after, int limit);

    void AppendAudit(AuditRecord record);
    IReadOnlyList<AuditRecord> ListAudit(long sinceUs, int limit);
}
