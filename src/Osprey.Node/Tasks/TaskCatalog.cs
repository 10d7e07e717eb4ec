using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;
using Osprey.Detection.Yara;

namespace Osprey.Node.Tasks;

/// <summary>
/// The task types an operator can create: each is a case of <c>TaskDefinition.params</c>, named by its field with
/// '_' as '-' ("run-process"). Parameters arrive as the protobuf JSON of that case's message.
/// </summary>
public static class TaskCatalog
{
    private static readonly OneofDescriptor Params = TaskDefinition.Descriptor.Oneofs.Single(o => o.Name == "params");
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <summary>Every type name, sorted.</summary>
    public static IReadOnlyList<string> Types { get; } = [.. Params.Fields.Select(f => TypeName(f)).Order(StringComparer.Ordinal)];

    public static bool IsKnown(string type) => Field(type) is not null;

    /// <summary>
    /// Sets the parameters of <paramref name="definition"/> (whose type is set) from JSON; the error says what is wrong
    /// (unknown field, wrong value type) and nothing is set then.
    /// </summary>
    public static string? SetParams(TaskDefinition definition, JsonElement? parameters)
    {
        var field = Field(definition.Type);
        if (field is null)
        {
            return $"unknown task type '{definition.Type}'; known types: {string.Join(", ", Types)}";
        }
        IMessage message;
        try
        {
            message = parameters is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json
                ? Parser.Parse(json.GetRawText(), field.MessageType)
                : (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"the parameters of a {definition.Type} task are not valid: {e.Message}";
        }
        catch (InvalidJsonException e)
        {
            return $"the parameters of a {definition.Type} task are not valid JSON: {e.Message}";
        }
        if (Problem(message) is { } problem)
        {
            return $"the parameters of a {definition.Type} task are not valid: {problem}";
        }
        field.Accessor.SetValue(definition, message);
        return null;
    }

    /// <summary>
    /// Stamps what the node decides before a task is stored: a prevention rule set gets its version (the node's time of
    /// the change, so later sets have higher versions), time and author; an IOC file and a YARA rule file get the SHA-256
    /// of their content.
    /// </summary>
    public static void Stamp(TaskDefinition definition)
    {
        if (definition.ParamsCase == TaskDefinition.ParamsOneofCase.IocScan)
        {
            IocScanCheck.Stamp(definition.IocScan);
            return;
        }
        if (definition.ParamsCase == TaskDefinition.ParamsOneofCase.YaraScan)
        {
            // The agent checks each rule file against the hash the node recorded.
            foreach (var file in definition.YaraScan.RuleFiles.Where(f => f.Sha256.Length == 0))
            {
                file.Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file.Content.Span));
            }
            return;
        }
        if (definition.ParamsCase != TaskDefinition.ParamsOneofCase.Prevention)
        {
            return;
        }
        var policy = definition.Prevention.Policy;
        policy.Version = (ulong)definition.CreatedUs;
        policy.UpdatedUs = definition.CreatedUs;
        policy.UpdatedBy = definition.CreatedBy;
        if (policy.PolicyId.Length == 0)
        {
            policy.PolicyId = "default";
        }
    }

    /// <summary>Checks beyond the message's shape, for the types whose agents would refuse the task anyway.</summary>
    private static string? Problem(IMessage parameters) => parameters switch
    {
        IsolateParams isolate => ExclusionRule.From(isolate).Problem,
        PreventionParams prevention => PreventionProblem(prevention),
        IocScanParams iocScan => IocScanCheck.Problem(iocScan),
        YaraScanParams yara => YaraScanProblem(yara),
        _ => null,
    };

    /// <summary>A YARA scan whose rules do not compile would fail on every agent: refused here with each file:line.</summary>
    private static string? YaraScanProblem(YaraScanParams parameters)
    {
        if (parameters.Paths.Count == 0 && parameters.UniquePids.Count == 0 && !parameters.AllProcesses)
        {
            return "name paths to scan, processes by uniquePids, or allProcesses";
        }
        if (parameters.Paths.Concat(parameters.ExcludePaths).FirstOrDefault(p => !Path.IsPathFullyQualified(p)) is { } relative)
        {
            return $"paths must be absolute, not '{relative}'";
        }
        var (sources, problem) = YaraSources.From([.. parameters.RuleFiles.Select(f => (f.Name, f.Content.Memory, f.Sha256))]);
        if (sources is null)
        {
            return problem;
        }
        var errors = sources.Select(YaraCompiler.Check).SelectMany(c => c.Errors).Take(10).ToList();
        return errors.Count == 0 ? null : "the rules do not compile: " + string.Join("; ", errors);
    }

    /// <summary>A prevention rule set must be valid as a whole: an agent never gets half of one.</summary>
    private static string? PreventionProblem(PreventionParams parameters)
    {
        if (parameters.Policy is null)
        {
            return "a prevention task needs a policy (its rule set; an empty rule list removes every rule)";
        }
        try
        {
            var rules = Contracts.Prevention.PreventionRuleSet.Compile(parameters.Policy);
            return rules.Rejected.Count > 0 ? "the rule set was not applied; " + string.Join("; ", rules.Rejected.Select(r => r.Message)) : null;
        }
        catch (ArgumentException e)
        {
            return "the rule set was not applied: " + e.Message;
        }
    }

    /// <summary>The parameters as protobuf JSON (for showing a task).</summary>
    public static string ParamsJson(TaskDefinition definition)
    {
        var field = Field(definition.Type);
        return field is not null && field.Accessor.GetValue(definition) is IMessage message ? JsonFormatter.Default.Format(message) : "{}";
    }

    private static FieldDescriptor? Field(string type) =>
        Params.Fields.FirstOrDefault(f => string.Equals(TypeName(f), type, StringComparison.Ordinal));

    private static string TypeName(FieldDescriptor field) => field.Name.Replace('_', '-');
}
