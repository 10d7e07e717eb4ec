using System.Runtime.Versioning;

// Benchmarks run where the node runs: Linux.
[assembly: SupportedOSPlatform("linux")]
