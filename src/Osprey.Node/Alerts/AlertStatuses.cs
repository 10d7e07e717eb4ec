namespace Osprey.Node.Alerts;

/// <summary>The states of an alert, as stored and shown: New → In progress → Closed.</summary>
public static class AlertStatuses
{
    public const string New = "new";
    public const string InProgress = "in-progress";
    public const string Closed = "closed";

    public static readonly IReadOnlyList<string> All = [New, InProgress, Closed];

    public static bool IsKnown(string status) => All.Contains(status, StringComparer.Ordinal);
}
