using System.Collections;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Osprey.Bench.Interop;

namespace Osprey.Bench;

/// <summary>
/// Starts a program with one unique argument per start (<c>prefix + n</c>) at a fixed rate for a fixed time, with
/// posix_spawn from a few threads, and reaps its own children. Bounded by count (rate × time) and by time: starts
/// that fall behind schedule are not made up after the deadline.
/// </summary>
public sealed unsafe class ExecSpawner(string program, string prefix, int rate, TimeSpan duration, int threads = 4)
{
    private const int ReapEvery = 64;
    private readonly long _total = (long)(rate * duration.TotalSeconds);
    private long _next;
    private long _failed;
    private long _start;
    // Stopwatch timestamp of each start made, 0 for none; each slot is written by the one thread that claimed it.
    private long[] _launchedAt = [];

    /// <summary>Starts per second asked for.</summary>
    public int Rate => rate;

    /// <summary>Starts scheduled (rate × time); those behind schedule at the deadline are not made.</summary>
    public long Scheduled => _total;

    /// <summary>Successful starts.</summary>
    public long Launched { get; private set; }

    /// <summary>Starts posix_spawn refused (EAGAIN under a process limit, for example).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>From the first start to the last start's return.</summary>
    public TimeSpan Elapsed { get; private set; }

    public double AchievedRate => Elapsed > TimeSpan.Zero ? Launched / Elapsed.TotalSeconds : 0;

    /// <summary>Whether start number <paramref name="n"/> was made (its argument is <c>prefix + n</c>).</summary>
    public bool WasLaunched(long n) => n >= 0 && n < _launchedAt.Length && _launchedAt[n] != 0;

    /// <summary>When start number <paramref name="n"/> was made, from the first start; null when it was not.</summary>
    public TimeSpan? LaunchedAfter(long n) => WasLaunched(n) ? Stopwatch.GetElapsedTime(_start, _launchedAt[n]) : null;

    /// <summary>Runs the storm (once per instance) on <c>threads</c> threads; returns when every child is reaped.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        _launchedAt = new long[_total];
        var path = (byte*)Marshal.StringToCoTaskMemUTF8(program);
        var environment = NativeEnvironment();
        long launched = 0;
        var start = _start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        try
        {
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                var count = Spawn(path, environment, start, deadline, cancellationToken);
                Interlocked.Add(ref launched, count);
            }) { IsBackground = true, Name = "osprey-bench-spawn" }).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
        }
        finally
        {
            Elapsed = Stopwatch.GetElapsedTime(start);
            Launched = launched;
            Marshal.FreeCoTaskMem((nint)path);
            FreeEnvironment(environment);
        }
    }

    private long Spawn(byte* path, byte** environment, long start, long deadline, CancellationToken cancellationToken)
    {
        const int ArgumentBytes = 256;
        var argument = (byte*)NativeMemory.Alloc(ArgumentBytes);
        var argv = (byte**)NativeMemory.Alloc((nuint)(3 * sizeof(byte*)));
        argv[0] = path;
        argv[1] = argument;
        argv[2] = null;
        var children = new List<int>(ReapEvery * 2);
        long launched = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref _next) - 1;
                if (n >= _total)
                {
                    break;
                }
                // Start n is due n/rate seconds in: threads sleep until then, so starts go out in short bursts.
                var due = start + n * Stopwatch.Frequency / rate;
                var now = Stopwatch.GetTimestamp();
                while (now < due)
                {
                    var ahead = (due - now) * 1000 / Stopwatch.Frequency;
                    if (ahead >= 1)
                    {
                        Thread.Sleep((int)Math.Min(ahead, 100));
                    }
                    else
                    {
                        Thread.Yield();
                    }
                    now = Stopwatch.GetTimestamp();
                }
                if (now >= deadline)
                {
                    break;
                }
                var length = Encoding.UTF8.GetBytes(prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture), new Span<byte>(argument, ArgumentBytes - 1));
                argument[length] = 0;
                // The child has executed (or failed to) when posix_spawn returns, so the buffers can be reused at once.
                if (Native.PosixSpawn(out var pid, path, 0, 0, argv, environment) != 0)
                {
                    Interlocked.Increment(ref _failed);
                    continue;
                }
                _launchedAt[n] = Stopwatch.GetTimestamp();
                launched++;
                children.Add(pid);
                if (children.Count >= ReapEvery)
                {
                    Reap(children, block: false);
                }
            }
            Reap(children, block: true);
            return launched;
        }
        finally
        {
            NativeMemory.Free(argument);
            NativeMemory.Free(argv);
        }
    }

    private static void Reap(List<int> children, bool block)
    {
        children.RemoveAll(pid =>
        {
            int result;
            do
            {
                result = Native.WaitPid(pid, out _, block ? 0 : Native.WNoHang);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Native.EIntr);
            // -1 with ECHILD: someone else reaped it (a runtime that reaps every child); it is gone either way.
            return result != 0;
        });
    }

    /// <summary>This process's environment as a NULL-terminated envp array, so the children start as a shell's would.</summary>
    private static byte** NativeEnvironment()
    {
        var variables = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => $"{e.Key}={e.Value}").ToList();
        var envp = (byte**)NativeMemory.Alloc((nuint)((variables.Count + 1) * sizeof(byte*)));
        for (var i = 0; i < variables.Count; i++)
        {
            envp[i] = (byte*)Marshal.StringToCoTaskMemUTF8(variables[i]);
        }
        envp[variables.Count] = null;
        return envp;
    }

    private static void FreeEnvironment(byte** envp)
    {
        for (var p = envp; *p != null; p++)
        {
            Marshal.FreeCoTaskMem((nint)(*p));
        }
        NativeMemory.Free(envp);
    }
}
