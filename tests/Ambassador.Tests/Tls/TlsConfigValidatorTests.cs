using Ambassador.Configuration;
using Ambassador.Tls;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Tests.Tls;

public sealed class TlsConfigValidatorTests
{
    [Theory]
    [InlineData("Ambassador:Tls:KeyPath", "k.pem", "Ambassador:Tls:KeyPath: has no effect without Ambassador:Tls:CertificatePath (the TLS listener is off)")]
    [InlineData("Ambassador:Tls:ClientCertificateMode", "DelayCertificate", "Ambassador:Tls:ClientCertificateMode: 'DelayCertificate' is not one of NoCertificate, AllowCertificate, RequireCertificate")]
    [InlineData("Ambassador:Tls:ClientCertificateMode", "2", "Ambassador:Tls:ClientCertificateMode: '2' is not one of NoCertificate, AllowCertificate, RequireCertificate")]
    [InlineData("Ambassador:Tls:ReloadInterval", "2s", "Ambassador:Tls:ReloadInterval: '2s' is not a duration; use a TimeSpan such as \"00:00:00.500\" or \"00:05:00\"")]
    [InlineData("ReverseProxy:Clusters:c:HttpClient:SslProtocols:0", "Tls11", "ReverseProxy:Clusters:c:HttpClient:SslProtocols: 'Tls11' is not allowed; Ambassador speaks only Tls12 and Tls13")]
    [InlineData("ReverseProxy:Clusters:c:Metadata:Sni", "not a host", "ReverseProxy:Clusters:c:Metadata:Sni: 'not a host' is not a host name")]
    [InlineData("ReverseProxy:Clusters:c:Metadata:ClientKeyPath", "k.pem", "ReverseProxy:Clusters:c:Metadata:ClientCertificatePath: is required with ClientKeyPath")]
    public void Validate_BadValue_ReportsKeyAndFix(string key, string value, string expected)
    {
        var problems = new ConfigProblems();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

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
                "Ambassador:Tls:KeyPath: is required with Ambassador:Tls:CertificatePath (a PEM private key file)",
                "Ambassador:Tls:CertificatePath: file '/nonexistent/server.crt' not found",
            ],
            problems.Lines);
    }
}
