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
        var (message, error, tooLarge) = await ParseAsync(request, parser, maxBytes, cancellationToken).ConfigureAwait(false);
        return message is not null ? (message, null) : (default, tooLarge ? Problems.TooLarge(error!) : Problems.BadRequest(error!));
    }

    private static async Task<(T? Message, string? Error, bool TooLarge)> ParseAsync<T>(HttpRequest request, MessageParser<T> parser, int maxBytes, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var encoding = request.Headers.ContentEncoding.ToString();
        Stream source = request.Body;
        if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
        {
            source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        }
        else if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return (default, $"content encoding '{encoding}' is not supported; use gzip or none", false);
        }
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var body = new MemoryStream();
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                }
                catch (InvalidDataException e)
                {
                    return (default, $"the gzip body is corrupt: {e.Message}", false);
                }
                catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                {
                    return (default, $"the request body is larger than {maxBytes} bytes", true);
                }
                if (read == 0)
                {
                    break;
                }
                if (body.Length + read > maxBytes)
                {
                    return (default, $"the request body is larger than {maxBytes} bytes", true);
                }
                body.Write(chunk, 0, read);
            }
            try
            {
                return (parser.ParseFrom(body.GetBuffer().AsSpan(0, (int)body.Length)), null, false);
            }
            catch (InvalidProtocolBufferException e)
            {
                return (default, $"the body is not a valid {typeof(T).Name} message: {e.Message}", false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            if (!ReferenceEquals(source, request.Body))
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public static IResult Write(IMessage message) => Results.Bytes(message.ToByteArray(), ContentType);
}
