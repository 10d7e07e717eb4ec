namespace Osprey.Agent.Tasks.IocScan;

/// <summary>A directory the file walk starts at, and how deep below it it goes (0: the directory's own files).</summary>
internal readonly record struct WalkRoot(string Path, int MaxDepth);
