namespace Osprey.Detection.Yara;

/// <summary>The YARA 4.2 error codes (libyara/include/yara/error.h) Osprey tells apart, with their meaning.</summary>
public static class YaraErrors
{
    public const int Success = 0;
    public const int InsufficientMemory = 1;
    public const int CouldNotAttachToProcess = 2;
    public const int CouldNotOpenFile = 3;
    public const int CouldNotMapFile = 4;
    public const int InvalidFile = 6;
    public const int ScanTimeout = 26;
    public const int CallbackError = 28;
    public const int TooManyMatches = 30;
    public const int InternalFatalError = 31;

    public static string Describe(int code) => code switch
    {
        Success => "success",
        InsufficientMemory => "insufficient memory",
        CouldNotAttachToProcess => "could not attach to the process (it exited, or ptrace is not permitted)",
        CouldNotOpenFile => "could not open the file",
        CouldNotMapFile => "could not map the file into memory",
        InvalidFile => "invalid file",
        ScanTimeout => "the scan timed out",
        CallbackError => "the match callback failed",
        TooManyMatches => "too many matches",
        InternalFatalError => "internal fatal error",
        _ => $"YARA error {code}",
    };
}
