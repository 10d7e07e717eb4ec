namespace Osprey.Detection.Yara;

/// <summary>A YARA rule file: its name (also its namespace once compiled) and its text.</summary>
public sealed record YaraSource(string Name, string Text);
