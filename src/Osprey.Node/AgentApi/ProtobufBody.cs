using System.Buffers;
using System.IO.Compression;
using Google.Protobuf;
using Osprey.Node.Hosting;

namespace Osprey.Node.AgentApi;

/// <summary>Reads protobuf request bodies (gzip allowed, size-bounded after decompression) and writes replies.</summary>
public static class ProtobufBody
{
    public const string ContentType = "application/x-protobuf";

    /// <summary>Parses the body, or returns the ProblemDetails (400, or 413 when too large) saying why it cannot be parsed.</summary>
    public static async Task<(T? Message, IResult? Problem)> ReadAsync<T>(HttpRequest request, MessageParser<T> parser, int maxBytes, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        return await ReadAsync(request, maxBytes, body =>
        {
            try
            {
                return (parser.ParseFrom(body), null);
            }
            catch (InvalidProtocolBufferException e)
            {
                return (default(T), $"the body is not a valid {typeof(T).Name} message: {e.Message}");
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer and hands it to <paramref name="parse"/>, which returns the
    /// result or why the bytes are not acceptable (a 400). The buffer goes back to the pool afterwards, so
    /// the result must not keep the span.
    /// </summary>
    public static async Task<(T? Message, IResult? Problem)> ReadAsync<T>(
        HttpRequest request, int maxBytes, Func<ReadOnlySpan<byte>, (T? Message, string? Error)> parse, CancellationToken cancellationToken)
    {
        var (buffer, length, error, tooLarge) = await ReadBytesAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (buffer is null)
        {
            return (default, tooLarge ? Problems.TooLarge(error!) : Problems.BadRequest(error!));
        }
        try
        {
            var (message, parseError) = parse(buffer.AsSpan(0, length));
            return parseError is null ? (message, null) : (default, Problems.BadRequest(parseError));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The body in a buffer rented from the shared pool (the caller returns it), or why it cannot be read.</summary>
    private static async Task<(byte[]? Buffer, int Length, string? Error, bool TooLarge)> ReadBytesAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (null, 0, $"content encoding '{encoding}' is not supported; use gzip or none", false);
        }
        var tooLarge = $"the request body is larger than {maxBytes} bytes";
        if (!gzip && request.ContentLength > maxBytes)
        {
            return (null, 0, tooLarge, true);
        }
        var source = gzip ? new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true) : request.Body;
        // A declared length sizes the buffer exactly; one byte more tells a body that runs past it.
        var initial = !gzip && request.ContentLength is { } declared ? (int)declared + 1 : 64 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(initial, maxBytes + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        return Fail(tooLarge, true);
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, maxBytes + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    return Fail($"the gzip body is corrupt: {e.Message}", false);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return Fail(tooLarge, true);
                }
                if (read == 0)
                {
                    break;
                }
                length += read;
                if (length > maxBytes)
                {
                    return Fail(tooLarge, true);
                }
            }
            return (buffer, length, null, false);
        }
        finally
        {
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }

        (byte[]?, int, string?, bool) Fail(string error, bool large)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, error, large);
        }
    }

    public static IResult Write(IMessage message) => Results.Bytes(message.ToByteArray(), ContentType);
}
