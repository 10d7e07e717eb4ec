namespace Osprey.Detection.Yara;

/// <summary>
/// libyara's process-wide state: <c>yr_initialize</c> once before the first compiler or scanner, <c>yr_finalize</c>
/// once at process exit when no compiled rules are alive any more (finalising under a running scan would free what
/// the scan uses).
/// </summary>
internal static class YaraLibrary
{
    private static readonly Lock Gate = new();
    private static bool _initialized;
    private static int _live;

    /// <summary>Initialises libyara once; throws <see cref="YaraException"/> when it cannot be loaded or initialised.</summary>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref _initialized))
        {
            return;
        }
        lock (Gate)
        {
            if (_initialized)
            {
                return;
            }
            int code;
            try
            {
                code = LibYara.Initialize();
            }
            catch (DllNotFoundException e)
            {
                throw new YaraException(0, "libyara 4.2 (libyara.so.9, Debian package libyara9) is not installed", e);
            }
            if (code != 0)
            {
                throw new YaraException(code, $"libyara could not be initialised: {YaraErrors.Describe(code)}");
            }
            AppDomain.CurrentDomain.ProcessExit += (_, _) => FinalizeIfIdle();
            Volatile.Write(ref _initialized, true);
        }
    }

    /// <summary>Counts compiled rule sets that are alive (a scanner holds its rule set alive).</summary>
    public static void AddLive() => Interlocked.Increment(ref _live);

    public static void RemoveLive() => Interlocked.Decrement(ref _live);

    private static void FinalizeIfIdle()
    {
        lock (Gate)
        {
            if (_initialized && Volatile.Read(ref _live) == 0)
            {
                LibYara.Finalize();
                _initialized = false;
            }
        }
    }
}
