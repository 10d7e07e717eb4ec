namespace Osprey.Node.ObjectStorage;

/// <summary>Who sends an upload: an agent (from its client certificate) or an operator (from the API token).</summary>
public sealed record Uploader(string? AgentId, string? User)
{
    public static Uploader Agent(string agentId) => new(agentId, null);

    public static Uploader Operator(string user) => new(null, user);

    /// <summary>Resuming matches on this: the same object from the same uploader continues where it stopped.</summary>
    public string Key => AgentId is not null ? $"agent:{AgentId}" : $"operator:{User}";
}
