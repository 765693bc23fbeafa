using Ambassador.Admin;

namespace Ambassador.Tests.Admin;

public sealed class SecretRedactionTests
{
    [Theory]
    [InlineData("Discovery:Consul:Token", true)]
    [InlineData("Upstreams:x:ApiKey", true)]
    [InlineData("Something:Password", true)]
    [InlineData("ClientSecret", true)]
    [InlineData("Tls:Key", true)]
    [InlineData("Tls:KeyPath", false)]
    [InlineData("Discovery:Consul:Address", false)]
    [InlineData("Tls:CertificatePath", false)]
    public void IsSecretKey_ClassifiesKeys(string key, bool secret) => Assert.Equal(secret, AdminEndpoints.IsSecretKey(key));
}
