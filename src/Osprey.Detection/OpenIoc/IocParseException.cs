using System.Globalization;

namespace Osprey.Detection.OpenIoc;

/// <summary>Why a document is rejected, thrown inside the parser and turned into <see cref="IocParseResult.Reason"/>; never escapes the public API.</summary>
internal sealed class IocParseException(string reason, int line = 0)
    : Exception(line > 0 ? string.Create(CultureInfo.InvariantCulture, $"line {line}: {reason}") : reason);
