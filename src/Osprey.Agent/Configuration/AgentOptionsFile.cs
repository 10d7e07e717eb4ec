using System.Text.Json;
using System.Text.Json.Serialization;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Configuration;

/// <summary>Reads and writes agent.json; a file that does not parse or validate is refused with every problem named.</summary>
public static class AgentOptionsFile
{
    public static AgentOptions Load(string path, bool validate = true)
    {
        AgentOptions? options;
        try
        {
            options = JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentOptionsJson.Default.AgentOptions);
        }
        catch (FileNotFoundException)
        {
            throw new AgentConfigurationException($"{path} does not exist: enroll the agent first (osprey-agent enroll)");
        }
        catch (JsonException e)
        {
            throw new AgentConfigurationException($"{path} is not valid: {e.Message}", e);
        }
        if (options is null)
        {
            throw new AgentConfigurationException($"{path} is empty");
        }
        var problems = validate ? options.Validate() : [];
        if (problems.Count > 0)
        {
            throw new AgentConfigurationException($"{path} has problems: {string.Join("; ", problems)}");
        }
        return options;
    }

    public static void Save(string path, AgentOptions options) =>
        SecureFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(options, AgentOptionsJson.Default.AgentOptions));
}

/// <summary>The agent cannot start with its configuration as it is; the message says what to fix.</summary>
public sealed class AgentConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(AgentOptions))]
internal sealed partial class AgentOptionsJson : JsonSerializerContext;
