namespace Osprey.Detection.Yara;

/// <summary>One occurrence of a rule string: its identifier ("$a"), file offset or virtual address, length, and the first matched bytes.</summary>
public sealed record YaraStringHit(string Identifier, ulong Offset, int Length, byte[] Data);
