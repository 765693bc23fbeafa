using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ambassador.Tls;

namespace Ambassador.Tests.Tls;

public sealed class ClientCertificateForwardingTests
{
    [Fact]
    public void Format_CertificateWithUriAndDnsNames_IsEnvoyXfcc()
    {
        var now = DateTimeOffset.UtcNow;
        using var certificate = TestPem.Create("CN=orders, O=\"Acme, Inc\"", now.AddDays(-1), now.AddDays(1), request =>
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(new Uri("spiffe://cluster/ns/default/sa/orders"));
            san.AddDnsName("orders.internal");
            request.CertificateExtensions.Add(san.Build());
        });

        var value = ClientCertificateForwarding.Format(certificate);

        var hash = certificate.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant();
        Assert.Equal($"Hash={hash};Subject=\"CN=orders, O=\\\"Acme, Inc\\\"\";URI=spiffe://cluster/ns/default/sa/orders;DNS=orders.internal", value);
    }
}
