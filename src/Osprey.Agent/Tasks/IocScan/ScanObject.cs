using System.Globalization;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>An object read from the live system for an IOC scan: its term values, and the message reporting it.</summary>
internal abstract class ScanObject : IocTermObject
{
    public abstract IocObject ToProto();

    protected static IReadOnlyList<string> One(long value) => [value.ToString(CultureInfo.InvariantCulture)];
}
