using System.Globalization;
using System.Text.Json;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>Counts and fetches events on the node with the real CLI (<c>osprey events search</c>).</summary>
public sealed class NodeEvents(OspreyCli cli)
{
    /// <summary>How many events match <paramref name="query"/>, optionally within [from, to).</summary>
    public async Task<long> CountAsync(string query, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var result = await RunAsync(["events", "search", query, "--count", .. Range(from, to)]);
        return long.Parse(result.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>The events matching <paramref name="query"/> (at most <paramref name="limit"/>, the node allows 100,000).</summary>
    public async Task<List<JsonElement>> SearchAsync(string query, int limit, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var result = await RunAsync(["events", "search", query, "--limit", limit.ToString(CultureInfo.InvariantCulture), "--json", .. Range(from, to)]);
        using var document = JsonDocument.Parse(result);
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private async Task<string> RunAsync(string[] arguments)
    {
        var result = await cli.RunAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"osprey {string.Join(' ', arguments)} failed: {result}");
        }
        return result.Stdout;
    }

    private static IEnumerable<string> Range(DateTimeOffset? from, DateTimeOffset? to) =>
        (from is { } f ? new[] { "--from", Iso(f) } : []).Concat(to is { } t ? new[] { "--to", Iso(t) } : []);

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Polls the count until it stops changing for <paramref name="quiet"/> (or <paramref name="timeout"/> passes).</summary>
    public async Task<long> WaitForStableCountAsync(string query, TimeSpan quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var count = await CountAsync(query);
        var since = DateTimeOffset.UtcNow;
        while (DateTimeOffset.UtcNow < deadline && DateTimeOffset.UtcNow - since < quiet)
        {
            await Task.Delay(1000, cancellationToken);
            var next = await CountAsync(query);
            if (next != count)
            {
                (count, since) = (next, DateTimeOffset.UtcNow);
            }
        }
        return count;
    }
}
