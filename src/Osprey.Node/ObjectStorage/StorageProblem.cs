namespace Osprey.Node.ObjectStorage;

/// <summary>Why Storage refused a request; the endpoints turn it into a ProblemDetails reply.</summary>
public sealed record StorageProblem(StorageProblemKind Kind, string Message, long? Offset = null);

/// <summary>The kinds of refusal, each one HTTP status.</summary>
public enum StorageProblemKind
{
    /// <summary>400: the request or the data is not acceptable (a chunk or object hash mismatch among them).</summary>
    Invalid,

    /// <summary>404.</summary>
    NotFound,

    /// <summary>409: the upload is at another offset, or is not complete yet.</summary>
    Conflict,

    /// <summary>413: over the object or chunk size limit.</summary>
    TooLarge,

    /// <summary>507: the disk has no room for the object.</summary>
    InsufficientSpace,
}
