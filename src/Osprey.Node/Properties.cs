using System.Runtime.Versioning;

// The node runs on Linux first (DESIGN.md §3); file modes and key files assume a Unix host.
[assembly: SupportedOSPlatform("linux")]
