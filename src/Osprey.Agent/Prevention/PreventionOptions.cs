namespace Osprey.Agent.Prevention;

/// <summary>Where and how prevention rules are enforced (the <c>prevention</c> section of agent.json).</summary>
public sealed class PreventionOptions
{
    /// <summary>
    /// Mount points under which executions and openings are intercepted: each local filesystem mounted at one of these
    /// or beneath it. "/" is every local filesystem.
    /// </summary>
    public List<string> Paths { get; set; } = ["/"];

    /// <summary>Mount points never intercepted (virtual filesystems are never marked anyway).</summary>
    public List<string> ExcludedPaths { get; set; } = ["/proc", "/sys"];

    /// <summary>
    /// Files the kernel is told to stop asking about once allowed (an ignore mark per inode, cleared by the kernel when
    /// the file is modified); past this many the agent answers those files itself from its hash cache.
    /// </summary>
    public int MaxIgnoreMarks { get; set; } = 16_384;

    public List<string> Validate()
    {
        var problems = new List<string>();
        foreach (var path in Paths.Concat(ExcludedPaths))
        {
            if (!Path.IsPathRooted(path))
            {
                problems.Add($"prevention path '{path}' is not absolute");
            }
        }
        if (MaxIgnoreMarks is < 0 or > 1_000_000)
        {
            problems.Add($"prevention.maxIgnoreMarks is {MaxIgnoreMarks}; it must be between 0 and 1000000");
        }
        return problems;
    }
}
