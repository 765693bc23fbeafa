using System.Reflection;
using Microsoft.Extensions.Logging;
using Ambassador.Hosting;
using Ambassador.Configuration;

namespace Ambassador.Tests.Logging;

/// <summary>
/// Both assemblies log into the same output, where an event id is what filters and alerts key on: no two
/// <c>[LoggerMessage]</c> methods may share one.
/// </summary>
public sealed class EventIdTests
{
    [Fact]
    public void LoggerMessages_AcrossAmbassadorAssemblies_HaveUniqueEventIds()
    {
        var methods =
            from assembly in new[] { typeof(AmbassadorHost).Assembly, typeof(ConfigProblems).Assembly }
            from type in assembly.GetTypes()
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
            where attribute is not null
            select (attribute.EventId, Name: $"{type.FullName}.{method.Name}");
        var all = methods.ToList();

        var duplicates = all.GroupBy(m => m.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}")
            .ToList();

        Assert.NotEmpty(all);
        Assert.Empty(duplicates);
    }
}
