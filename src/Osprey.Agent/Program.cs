using System.CommandLine;
using Osprey.Agent.Hosting;

// SIGTERM and SIGINT are handled by 'run' itself: it stores what is queued before it exits, which can
// take longer than System.CommandLine's default grace period.
return await AgentCommands.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
