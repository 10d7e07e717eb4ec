using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>
/// Scans objects (memory, an open file, a process) with a rule set; one per thread, reused from object to object.
/// Matches are read in libyara's callback on CALLBACK_MSG_RULE_MATCHING while the scan context still holds them.
/// </summary>
public sealed unsafe class YaraScanner : IDisposable
{
    private const int CallbackError = 2;
    private readonly YaraRules _rules;
    private readonly YaraScanSettings _settings;
    private readonly YaraScannerHandle _handle;
    private readonly List<YaraRuleHit> _hits = [];
    private GCHandle _self;
    private YaraExternals? _externals;
    private bool _disposed;

    internal YaraScanner(YaraRules rules, YaraScanSettings settings)
    {
        _rules = rules;
        _settings = settings;
        var added = false;
        rules.Handle.DangerousAddRef(ref added);
        var code = LibYara.ScannerCreate(rules.Handle.DangerousGetHandle(), out var scanner);
        if (code != 0)
        {
            rules.Handle.DangerousRelease();
            throw new YaraException(code, $"libyara could not create a scanner: {YaraErrors.Describe(code)}");
        }
        _handle = new YaraScannerHandle(scanner);
        _self = GCHandle.Alloc(this);
        LibYara.ScannerSetCallback(scanner, &OnMessage, GCHandle.ToIntPtr(_self));
        LibYara.ScannerSetFlags(scanner, LibYara.ScanFlagsReportRulesMatching);
        LibYara.ScannerSetTimeout(scanner, Math.Max(0, settings.TimeoutSeconds));
        Define(YaraExternals.None);
    }

    /// <summary>Scans a buffer.</summary>
    public YaraScanOutcome ScanMemory(ReadOnlySpan<byte> data, YaraExternals? externals = null)
    {
        Define(externals ?? YaraExternals.None);
        fixed (byte* p = data)
        {
            return Finish(LibYara.ScannerScanMem(Native, p, (nuint)data.Length));
        }
    }

    /// <summary>Scans the open regular file <paramref name="fd"/> (libyara maps it; the descriptor stays open).</summary>
    public YaraScanOutcome ScanDescriptor(int fd, YaraExternals externals)
    {
        Define(externals);
        return Finish(LibYara.ScannerScanFd(Native, fd));
    }

    /// <summary>
    /// Scans a regular file; a symbolic link as the last component is not followed (the outcome is then
    /// <see cref="YaraErrors.CouldNotOpenFile"/>, as it is for anything that is not a regular file).
    /// </summary>
    public YaraScanOutcome ScanFile(string path) => ScanFile(path, null);

    /// <summary>Scans a regular file with the given external variables (null: those of the file itself).</summary>
    public YaraScanOutcome ScanFile(string path, YaraExternals? externals)
    {
        var fd = YaraPosix.OpenAt(YaraPosix.AtFdCwd, path, YaraPosix.OReadOnly | YaraPosix.ONoFollow | YaraPosix.ONonBlock | YaraPosix.OCloExec | YaraPosix.ONoCtty);
        if (fd < 0)
        {
            return new YaraScanOutcome([], YaraErrors.CouldNotOpenFile);
        }
        try
        {
            if (YaraPosix.Stat(fd, "", YaraPosix.AtEmptyPath, out _) is not { } status || (status.Mode & YaraPosix.SIfMt) != YaraPosix.SIfReg)
            {
                return new YaraScanOutcome([], YaraErrors.CouldNotOpenFile);
            }
            return ScanDescriptor(fd, externals ?? FileExternals(fd, path, status.Uid));
        }
        finally
        {
            YaraPosix.Close(fd);
        }
    }

    /// <summary>Scans the readable memory of a process (libyara attaches with ptrace, so this needs CAP_SYS_PTRACE); offsets are virtual addresses.</summary>
    public YaraScanOutcome ScanProcess(int pid, YaraExternals? externals = null)
    {
        Define(externals ?? YaraExternals.None);
        return Finish(LibYara.ScannerScanProc(Native, pid));
    }

    /// <summary>The external variables of a file open as <paramref name="fd"/> (its type from its first bytes).</summary>
    internal static YaraExternals FileExternals(int fd, string path, uint uid)
    {
        var head = stackalloc byte[4];
        var read = YaraPosix.PRead(fd, head, 4, 0);
        return YaraExternals.ForFile(path, new ReadOnlySpan<byte>(head, (int)Math.Max(0, read)), YaraOwners.NameOf(uid));
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _handle.Dispose();
        _self.Free();
        _rules.Handle.DangerousRelease();
    }

    private nint Native
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _hits.Clear();
            return _handle.DangerousGetHandle();
        }
    }

    private YaraScanOutcome Finish(int code) => new([.. _hits], code);

    private void Define(YaraExternals externals)
    {
        if (ReferenceEquals(externals, _externals) || (_externals is not null && externals == _externals))
        {
            return;
        }
        var scanner = _handle.DangerousGetHandle();
        for (var i = 0; i < YaraExternals.Names.Length; i++)
        {
            fixed (byte* id = YaraText.ToUtf8(YaraExternals.Names[i]), value = YaraText.ToUtf8(externals[i]))
            {
                var code = LibYara.ScannerDefineStringVariable(scanner, id, value);
                if (code != 0)
                {
                    throw new YaraException(code, $"libyara could not set the external variable '{YaraExternals.Names[i]}': {YaraErrors.Describe(code)}");
                }
            }
        }
        _externals = externals;
    }

    private void Collect(nint context, nint rule)
    {
        var strings = new List<YaraStringHit>();
        var truncated = false;
        for (var str = YaraLayout.RuleStringsOf(rule); str != 0; str = YaraLayout.IsLastInRule(str) ? 0 : YaraLayout.NextString(str))
        {
            string? identifier = null;
            for (var match = YaraLayout.FirstMatch(context, str); match != 0; match = YaraLayout.NextMatch(match))
            {
                if (YaraLayout.IsPrivate(match))
                {
                    continue;
                }
                if (strings.Count >= _settings.MaxStringMatches)
                {
                    truncated = true;
                    break;
                }
                identifier ??= YaraText.FromUtf8(YaraLayout.StringIdentifierOf(str));
                var data = YaraLayout.MatchDataOf(match);
                strings.Add(new YaraStringHit(identifier, YaraLayout.MatchAddress(match), YaraLayout.MatchLengthOf(match),
                    data[..Math.Min(data.Length, _settings.MaxDataBytes)].ToArray()));
            }
        }
        _hits.Add(new YaraRuleHit(
            YaraText.FromUtf8(YaraLayout.RuleNamespaceOf(rule)), YaraText.FromUtf8(YaraLayout.RuleIdentifierOf(rule)),
            YaraText.Tags(YaraLayout.RuleTagsOf(rule)), strings, truncated));
    }

    [UnmanagedCallersOnly]
    private static int OnMessage(nint context, int message, nint messageData, nint userData)
    {
        if (message != LibYara.CallbackMsgRuleMatching)
        {
            return LibYara.CallbackContinue;
        }
        try
        {
            ((YaraScanner)GCHandle.FromIntPtr(userData).Target!).Collect(context, messageData);
            return LibYara.CallbackContinue;
        }
        catch (Exception)
        {
            // An exception must not unwind through libyara's frames.
            return CallbackError;
        }
    }
}
