namespace Osprey.Agent.Tasks;

/// <summary>Checks paths that arrive in tasks: every byte from the node is treated as hostile.</summary>
internal static class TaskPaths
{
    /// <summary>PATH_MAX on Linux, terminating NUL included.</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>
    /// Why <paramref name="path"/> is refused, or null when it is an absolute, normalised path: no NUL or other control
    /// character, no empty, "." or ".." segment (the path names what it says, not something reached by climbing), not
    /// longer than PATH_MAX.
    /// </summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
        {
            return "a path is required";
        }
        if (path[0] != '/')
        {
            return $"the path must be absolute, not '{path}'";
        }
        if (System.Text.Encoding.UTF8.GetByteCount(path) >= MaxPathBytes)
        {
            return $"the path is longer than {MaxPathBytes - 1} bytes";
        }
        if (path.Any(char.IsControl))
        {
            return "the path contains a control character";
        }
        if (path.Length > 1 && path.Split('/')[1..].Any(s => s is "" or "." or ".."))
        {
            return $"the path '{path}' is not normalised (it has an empty, '.' or '..' segment)";
        }
        return null;
    }

    /// <summary>A file name the node's Storage accepts: control characters replaced, at most 255 characters.</summary>
    public static string StorageName(string path)
    {
        var name = Path.GetFileName(path);
        name = new string([.. name.Select(c => char.IsControl(c) ? '?' : c)]);
        return name.Length == 0 ? "file" : name.Length <= 255 ? name : name[..255];
    }
}
