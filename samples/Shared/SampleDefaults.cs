using Microsoft.Extensions.Configuration.Memory;

namespace SampleCommon;

/// <summary>
/// Defaults that an appsettings.json would normally hold, shared by the sample apps (each compiles this file in).
/// Kept in code so the samples ship no content file (content files of referenced web projects collide in the test
/// and demo output folders); inserted as the first configuration source, so appsettings, env vars and the command
/// line still override them.
/// </summary>
internal static class SampleDefaults
{
    public static void Apply(ConfigurationManager configuration, string urls) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
                ["urls"] = urls,
            },
        });
}
