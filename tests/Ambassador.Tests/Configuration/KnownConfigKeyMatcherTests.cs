using Ambassador.Configuration;

namespace Ambassador.Tests.Configuration;

public sealed class KnownConfigKeyMatcherTests
{
    private static readonly KnownConfigKeyMatcher Matcher = new([
        new KnownConfigKeys(["Listeners:Proxy", "Policies:*:Retry:MaxRetries", "Upstreams:*:Metadata:**"]),
    ]);

    [Theory]
    [InlineData("Listeners")]
    [InlineData("Listeners:Proxy")]
    [InlineData("listeners:proxy")]
    [InlineData("Policies:fast")]
    [InlineData("Policies:fast:Retry:MaxRetries")]
    [InlineData("Upstreams:inventory:Metadata:anything:below")]
    public void IsKnown_DeclaredKeyOrPrefix_True(string key) => Assert.True(Matcher.IsKnown(key.Split(':')));

    [Theory]
    [InlineData("Listners")]
    [InlineData("Listeners:Admn")]
    [InlineData("Policies:fast:Retry:MaxRetry")]
    [InlineData("Listeners:Proxy:Extra")]
    public void IsKnown_UndeclaredKey_False(string key) => Assert.False(Matcher.IsKnown(key.Split(':')));
}
