using System.Runtime.Versioning;

// The agent reads Linux kernel interfaces (netlink, fanotify, /proc) throughout.
[assembly: SupportedOSPlatform("linux")]
