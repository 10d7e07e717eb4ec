using System.Globalization;
using System.Reflection;
using System.Text;
using Osprey.Node.Storage;

namespace Osprey.Node.Export;

/// <summary>
/// Alerts and audit records as CEF (ArcSight Common Event Format 0) messages: header fields with <c>\</c> and <c>|</c>
/// escaped, extension values with <c>\</c>, <c>=</c> and line breaks escaped, so no value can forge a field.
/// </summary>
public static class Cef
{
    public const string Vendor = "Osprey";
    public const string Product = "Osprey EDR";

    public static readonly string Version =
        typeof(Cef).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>CEF severity (0–10) of an importance.</summary>
    public static int Severity(string importance) => importance switch
    {
        "critical" => 10,
        "high" => 8,
        "medium" => 5,
        _ => 3,
    };

    /// <summary>An alert in its current state; <paramref name="change"/> is "created" or "updated".</summary>
    public static string Alert(AlertRecord a, string change)
    {
        var text = Header($"alert:{a.Technology}:{a.RuleId}", a.RuleTitle, Severity(a.Importance));
        Extension(text, "rt", Milliseconds(a.UpdatedUs));
        Extension(text, "act", change);
        Extension(text, "externalId", a.AlertId);
        Extension(text, "deviceExternalId", a.AgentId);
        Extension(text, "shost", a.HostName);
        Extension(text, "suser", a.UserName);
        Extension(text, "start", Milliseconds(a.FirstUs));
        Extension(text, "end", Milliseconds(a.LastUs));
        Extension(text, "cnt", a.Count.ToString(CultureInfo.InvariantCulture));
        Extension(text, "msg", a.Summary);
        Extension(text, "cat", a.Technology);
        Custom(text, 1, "ruleId", a.RuleId);
        Custom(text, 2, "status", a.Status);
        Custom(text, 3, "importance", a.Importance);
        Custom(text, 4, "confidence", a.Confidence);
        Custom(text, 5, "techniques", a.Techniques);
        Custom(text, 6, "incidentId", a.IncidentId ?? "");
        Extension(text, "flexString1Label", "uniquePid");
        Extension(text, "flexString1", a.UniquePid);
        Extension(text, "duser", a.Assignee ?? "");
        Extension(text, "cn1Label", "vip");
        Extension(text, "cn1", a.Vip ? "1" : "0");
        return text.ToString().TrimEnd();
    }

    /// <summary>An operator action: refused requests (status 400 and above) are more severe.</summary>
    public static string Audit(AuditRecord r)
    {
        var text = Header($"audit:{r.Action}", r.Action, r.Status >= 400 ? 6 : 3);
        Extension(text, "rt", Milliseconds(r.TimeUs));
        Extension(text, "externalId", r.Id.ToString(CultureInfo.InvariantCulture));
        Extension(text, "suser", r.User);
        Extension(text, "src", r.Remote);
        Extension(text, "request", r.Action);
        Extension(text, "outcome", r.Status.ToString(CultureInfo.InvariantCulture));
        Extension(text, "msg", r.Detail);
        Extension(text, "cat", "audit");
        Custom(text, 1, "role", r.Role);
        Custom(text, 2, "target", r.Target);
        return text.ToString().TrimEnd();
    }

    private static StringBuilder Header(string signature, string name, int severity)
    {
        var text = new StringBuilder(512).Append("CEF:0|");
        foreach (var field in (ReadOnlySpan<string>)[Vendor, Product, Version, signature, name])
        {
            HeaderValue(text, field);
            text.Append('|');
        }
        return text.Append(severity.ToString(CultureInfo.InvariantCulture)).Append('|');
    }

    private static void HeaderValue(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            if (c is '\\' or '|')
            {
                text.Append('\\');
            }
            text.Append(char.IsControl(c) ? ' ' : c);
        }
    }

    private static void Custom(StringBuilder text, int number, string label, string value)
    {
        if (value.Length == 0)
        {
            return;
        }
        Extension(text, $"cs{number}Label", label);
        Extension(text, $"cs{number}", value);
    }

    private static void Extension(StringBuilder text, string key, string value)
    {
        if (value.Length == 0)
        {
            return;
        }
        text.Append(key).Append('=');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\' or '=':
                    text.Append('\\').Append(c);
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                default:
                    text.Append(char.IsControl(c) ? ' ' : c);
                    break;
            }
        }
        text.Append(' ');
    }

    private static string Milliseconds(long us) => (us / 1000).ToString(CultureInfo.InvariantCulture);
}
