using System.CommandLine;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;

namespace Osprey.Cli.Commands;

/// <summary>osprey isolate AGENT [--exclude SPEC …] [--release-after D | --release-at T] [--wait]; osprey release AGENT [--reason TEXT] [--wait].</summary>
public static class IsolationCommand
{
    public static Command Isolate(GlobalOptions global)
    {
        var agent = new Argument<string>("agent") { Description = "Agent ID" };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = $"Traffic that stays allowed (repeatable): {ExclusionSyntax.Help}, e.g. dir=out,proto=tcp,addr=10.0.0.0/8,rport=443",
        };
        var releaseAfter = new Option<string?>("--release-after") { Description = "Release by itself after this long, e.g. 30m or 24h" };
        var releaseAt = new Option<DateTimeOffset?>("--release-at") { Description = "Release by itself at this time (ISO 8601)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the agent reports the outcome" };
        var waitFor = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (default 10m)" };
        var command = new Command(
            "isolate",
            "Cut an agent's host off the network; its nodes, the proxy and the exclusions stay reachable. The agent rolls the rules back when they would cut it off its node")
        {
            agent, exclude, releaseAfter, releaseAt, wait, waitFor,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parameters = new IsolateParams { ReleaseAtUs = ReleaseAtUs(parse.GetValue(releaseAfter), parse.GetValue(releaseAt)) };
            foreach (var spec in parse.GetValue(exclude) ?? [])
            {
                try
                {
                    parameters.Exclusions.Add(ExclusionSyntax.Parse(spec));
                }
                catch (FormatException e)
                {
                    throw new CliException(e.Message, 2);
                }
            }
            if (ExclusionRule.From(parameters).Problem is { } problem)
            {
                throw new CliException(problem, 2);
            }
            return await TasksCommand.SubmitAsync(global, parse, Body("isolate", parse.GetValue(agent)!, parameters), parse.GetValue(wait), parse.GetValue(waitFor), ct)
                .ConfigureAwait(false);
        });
        return command;
    }

    public static Command Release(GlobalOptions global)
    {
        var agent = new Argument<string>("agent") { Description = "Agent ID" };
        var reason = new Option<string?>("--reason") { Description = "Why, kept in the task's report and the audit log" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the agent reports the outcome" };
        var waitFor = new Option<string?>("--wait-timeout") { Description = "Give up waiting after this long (default 10m)" };
        var command = new Command("release", "End an agent's network isolation") { agent, reason, wait, waitFor };
        command.SetAction(async (parse, ct) =>
        {
            var parameters = new ReleaseParams { Reason = parse.GetValue(reason) ?? "" };
            return await TasksCommand.SubmitAsync(global, parse, Body("release", parse.GetValue(agent)!, parameters), parse.GetValue(wait), parse.GetValue(waitFor), ct)
                .ConfigureAwait(false);
        });
        return command;
    }

    private static Dictionary<string, object?> Body(string type, string agent, IMessage parameters) => new()
    {
        ["type"] = type,
        ["agents"] = new[] { agent },
        ["params"] = JsonNode.Parse(JsonFormatter.Default.Format(parameters)),
    };

    private static long ReleaseAtUs(string? after, DateTimeOffset? at)
    {
        if (after is not null && at is not null)
        {
            throw new CliException("give --release-after or --release-at, not both", 2);
        }
        if (at is { } time)
        {
            return time > DateTimeOffset.UtcNow ? time.ToUnixTimeMilliseconds() * 1000 : throw new CliException($"--release-at {time:O} is not in the future", 2);
        }
        return after is null ? 0 : (DateTimeOffset.UtcNow + Durations.Parse(after)).ToUnixTimeMilliseconds() * 1000;
    }
}
