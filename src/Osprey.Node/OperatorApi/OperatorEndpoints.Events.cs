using Osprey.Detection.Hunting;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

public static partial class OperatorEndpoints
{
    private const int MaxSearchLimit = 100_000;

    private static async Task<IResult> SearchAsync(HttpContext http, SearchRequest request, IEventStore events)
    {
        OperatorAuthentication.Audit(http, "", $"query={request.Query} from={request.From:O} to={request.To:O} count={request.CountOnly == true}");
        var limit = request.Limit ?? 100;
        if (limit is < 1 or > MaxSearchLimit)
        {
            return Problems.BadRequest($"limit must be between 1 and {MaxSearchLimit}");
        }
        if (request.From is { } from && request.To is { } to && from > to)
        {
            return Problems.BadRequest("the time range ends before it starts");
        }
        var query = new EventQuery
        {
            Query = request.Query ?? "",
            FromUs = request.From is { } f ? NodeClock.ToUs(f) : null,
            ToUs = request.To is { } t ? NodeClock.ToUs(t) : null,
            Sort = string.IsNullOrWhiteSpace(request.Sort) ? "EventTime" : request.Sort,
            Descending = request.Ascending != true,
            Limit = limit,
        };
        try
        {
            if (request.CountOnly == true)
            {
                return Results.Ok(new SearchResponse([], false, await events.CountAsync(query, http.RequestAborted).ConfigureAwait(false)));
            }
            var page = await events.SearchAsync(query, http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new SearchResponse([.. page.Events.Select(ToDto)], page.Truncated, null));
        }
        catch (HuntingQueryException e)
        {
            return Problems.BadRequest($"the query is not valid: {e.Message}");
        }
    }

    private static async Task<IResult> TreeAsync(HttpContext http, string uniquePid, IEventStore events)
    {
        OperatorAuthentication.Audit(http, uniquePid, "");
        if (uniquePid.Length != 32 || !uniquePid.All(char.IsAsciiHexDigit))
        {
            return Problems.BadRequest("a UniquePID is 32 hexadecimal digits");
        }
        var tree = await events.ProcessTreeAsync(uniquePid.ToLowerInvariant(), 200, http.RequestAborted).ConfigureAwait(false);
        if (tree.Process is null && tree.Ancestors.Count == 0)
        {
            return Problems.NotFound($"no events of process {uniquePid}");
        }
        return Results.Ok(new ProcessTreeDto(tree.UniquePid, [.. tree.Ancestors.Select(ToDto)], tree.Process is null ? null : ToDto(tree.Process)));
    }

    private static ProcessNodeDto ToDto(ProcessNode node) =>
        new(node.UniquePid, node.ParentUniquePid, node.Start is null ? null : ToDto(node.Start), [.. node.Events.Select(ToDto)], [.. node.Children.Select(ToDto)]);

    private static EventDto ToDto(StoredEvent e) => new()
    {
        EventId = e.EventId,
        AgentId = e.AgentId,
        Sequence = e.Sequence,
        EventType = e.EventType,
        EventTime = NodeClock.FromUs(e.EventTimeUs),
        Host = e.Host,
        HostIp = e.HostIp,
        UserName = e.UserName,
        UniquePid = e.UniquePid,
        ParentUniquePid = e.ParentUniquePid,
        Pid = e.Pid,
        ProcessName = e.ProcessName,
        ProcessPath = e.ProcessPath,
        CommandLine = e.CommandLine,
        FilePath = e.FilePath,
        FileName = e.FileName,
        Md5 = e.Md5,
        Sha256 = e.Sha256,
        LocalIp = e.LocalIp,
        LocalPort = e.LocalPort,
        RemoteIp = e.RemoteIp,
        RemotePort = e.RemotePort,
        Protocol = e.Protocol,
        DnsName = e.DnsName,
        Details = e.Attrs,
    };
}
