using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>
/// The libyara 4.2 calls Osprey uses (Debian's libyara9). Calls that can fail return a YARA error code
/// (<see cref="YaraErrors"/>); pointers are raw because libyara owns what they point to.
/// </summary>
internal static unsafe partial class LibYara
{
    // The soname pins the ABI: libyara.so.9 is YARA 4.2.x, whose struct layouts YaraLayout mirrors.
    private const string Library = "libyara.so.9";

    public const int ScanFlagsReportRulesMatching = 8;
    public const int CallbackMsgRuleMatching = 1;
    public const int CallbackMsgTooManyMatches = 6;
    public const int CallbackContinue = 0;
    public const int CallbackAbort = 1;
    public const int ErrorLevelWarning = 1;

    [LibraryImport(Library, EntryPoint = "yr_initialize")]
    public static partial int Initialize();

    [LibraryImport(Library, EntryPoint = "yr_finalize")]
    public static partial int Finalize();

    [LibraryImport(Library, EntryPoint = "yr_compiler_create")]
    public static partial int CompilerCreate(out nint compiler);

    [LibraryImport(Library, EntryPoint = "yr_compiler_destroy")]
    public static partial void CompilerDestroy(nint compiler);

    /// <summary><c>void (*)(int error_level, const char* file_name, int line_number, const YR_RULE* rule, const char* message, void* user_data)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "yr_compiler_set_callback")]
    public static partial void CompilerSetCallback(nint compiler, delegate* unmanaged<int, byte*, int, nint, byte*, nint, void> callback, nint userData);

    /// <summary>With a null callback, <c>include</c> directives are refused: a rule file never reads other files.</summary>
    [LibraryImport(Library, EntryPoint = "yr_compiler_set_include_callback")]
    public static partial void CompilerSetIncludeCallback(nint compiler, nint includeCallback, nint includeFree, nint userData);

    /// <summary>Returns the number of errors; after an error the compiler must not be given more sources.</summary>
    [LibraryImport(Library, EntryPoint = "yr_compiler_add_string")]
    public static partial int CompilerAddString(nint compiler, byte* rules, byte* ns);

    [LibraryImport(Library, EntryPoint = "yr_compiler_define_string_variable")]
    public static partial int CompilerDefineStringVariable(nint compiler, byte* identifier, byte* value);

    [LibraryImport(Library, EntryPoint = "yr_compiler_get_rules")]
    public static partial int CompilerGetRules(nint compiler, out nint rules);

    [LibraryImport(Library, EntryPoint = "yr_rules_destroy")]
    public static partial int RulesDestroy(nint rules);

    [LibraryImport(Library, EntryPoint = "yr_scanner_create")]
    public static partial int ScannerCreate(nint rules, out nint scanner);

    [LibraryImport(Library, EntryPoint = "yr_scanner_destroy")]
    public static partial void ScannerDestroy(nint scanner);

    /// <summary><c>int (*)(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user_data)</c>.</summary>
    [LibraryImport(Library, EntryPoint = "yr_scanner_set_callback")]
    public static partial void ScannerSetCallback(nint scanner, delegate* unmanaged<nint, int, nint, nint, int> callback, nint userData);

    [LibraryImport(Library, EntryPoint = "yr_scanner_set_timeout")]
    public static partial void ScannerSetTimeout(nint scanner, int seconds);

    [LibraryImport(Library, EntryPoint = "yr_scanner_set_flags")]
    public static partial void ScannerSetFlags(nint scanner, int flags);

    [LibraryImport(Library, EntryPoint = "yr_scanner_define_string_variable")]
    public static partial int ScannerDefineStringVariable(nint scanner, byte* identifier, byte* value);

    [LibraryImport(Library, EntryPoint = "yr_scanner_scan_mem")]
    public static partial int ScannerScanMem(nint scanner, byte* buffer, nuint size);

    /// <summary>Maps the file (libyara mmaps it) and scans it.</summary>
    [LibraryImport(Library, EntryPoint = "yr_scanner_scan_fd")]
    public static partial int ScannerScanFd(nint scanner, int fd);

    /// <summary>Attaches to the process (ptrace), reads its readable mappings through /proc/PID/mem, detaches.</summary>
    [LibraryImport(Library, EntryPoint = "yr_scanner_scan_proc")]
    public static partial int ScannerScanProc(nint scanner, int pid);
}
