using System.Runtime.Versioning;

// Tests run where the node runs: Linux.
[assembly: SupportedOSPlatform("linux")]
