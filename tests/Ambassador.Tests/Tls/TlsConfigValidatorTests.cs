using Ambassador.Configuration;
using Ambassador.Tls;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Tls;

public sealed class TlsConfigValidatorTests
{
    [Theory]
    [InlineData("Ambassador:Tls:KeyPath", "k.pem", "Ambassador:Tls:KeyPath: has no effect without Ambassador:Tls:CertificatePath (the TLS listener is off); set Ambassador:Tls:CertificatePath or remove this key")]
    [InlineData("Ambassador:Tls:ClientCertificateMode", "DelayCertificate", "Ambassador:Tls:ClientCertificateMode: 'DelayCertificate' is not allowed; use one of NoCertificate, AllowCertificate, RequireCertificate")]
    [InlineData("Ambassador:Tls:ClientCertificateMode", "2", "Ambassador:Tls:ClientCertificateMode: '2' is not allowed; use one of NoCertificate, AllowCertificate, RequireCertificate")]
    [InlineData("Ambassador:Tls:ReloadInterval", "2s", "Ambassador:Tls:ReloadInterval: '2s' is not a duration; use a TimeSpan greater than 00:00:00, e.g. 00:00:02")]
    [InlineData("ReverseProxy:Clusters:c:HttpClient:SslProtocols:0", "Tls11", "ReverseProxy:Clusters:c:HttpClient:SslProtocols: 'Tls11' is not allowed; use Tls12 or Tls13 (Ambassador speaks only these)")]
    [InlineData("ReverseProxy:Clusters:c:Metadata:Sni", "not a host", "ReverseProxy:Clusters:c:Metadata:Sni: 'not a host' is not a host name; use a DNS name or IP address, e.g. inventory.internal")]
    [InlineData("ReverseProxy:Clusters:c:Metadata:ClientKeyPath", "k.pem", "ReverseProxy:Clusters:c:Metadata:ClientCertificatePath: is missing but ClientKeyPath is set; use the path of the PEM client certificate the key belongs to")]
    public void Validate_BadValue_ReportsKeyAndFix(string key, string value, string expected)
    {
        var problems = new ConfigProblems();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        new OptionValidator([TlsOptionTable.Section]).Validate(configuration, problems);
        new TlsConfigValidator().Validate(configuration, problems);

        Assert.Equal(expected, Assert.Single(problems.Lines));
    }

    [Fact]
    public void Validate_MissingCertificateWithoutKey_ReportsBoth()
    {
        var problems = new ConfigProblems();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ambassador:Tls:CertificatePath"] = "/nonexistent/server.crt",
        }).Build();

        new TlsConfigValidator().Validate(configuration, problems);

        Assert.Equal(
            [
                "Ambassador:Tls:KeyPath: is missing but Ambassador:Tls:CertificatePath is set; use the path of the certificate's PEM private key file",
                "Ambassador:Tls:CertificatePath: file '/nonexistent/server.crt' not found; use the path of a readable PEM file",
            ],
            problems.Lines);
    }
}
