namespace Osprey.Node.Hosting;

/// <summary>Unix microsecond helpers over an injected TimeProvider.</summary>
public static class NodeClock
{
    public static long NowUs(this TimeProvider time) => ToUs(time.GetUtcNow());

    public static long ToUs(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromUs(long us) => DateTimeOffset.UnixEpoch.AddTicks(us * 10);
}
