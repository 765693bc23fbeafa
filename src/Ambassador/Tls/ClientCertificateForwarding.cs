using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Ambassador.Tls;

/// <summary>
/// With <c>Ambassador:Tls:ForwardClientCertificate</c> on, replaces any client-sent <c>X-Forwarded-Client-Cert</c> with
/// the details of the certificate the client presented on the TLS listener, in Envoy's format
/// (<c>Hash=&lt;sha256&gt;;Subject="…";URI=…;DNS=…</c>). A client can therefore never forge the header. Off: untouched.
/// </summary>
internal sealed class ClientCertificateForwarding(IOptionsMonitor<TlsOptions> options) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(transform =>
    {
        if (!options.CurrentValue.ForwardClientCertificate)
        {
            return ValueTask.CompletedTask;
        }

        transform.ProxyRequest.Headers.Remove(TlsConstants.ClientCertificateHeader);
        if (transform.HttpContext.Connection.ClientCertificate is { } certificate)
        {
            transform.ProxyRequest.Headers.TryAddWithoutValidation(TlsConstants.ClientCertificateHeader, Format(certificate));
        }

        return ValueTask.CompletedTask;
    });

    /// <summary>Envoy's XFCC element for one certificate.</summary>
    internal static string Format(X509Certificate2 certificate)
    {
        var value = new StringBuilder();
        value.Append("Hash=").Append(certificate.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant());
        value.Append(";Subject=\"").Append(certificate.Subject.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
            {
                continue;
            }

            foreach (var uri in ReadUris(extension.RawData))
            {
                value.Append(";URI=").Append(uri);
            }

            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (var dns in san.EnumerateDnsNames())
                {
                    value.Append(";DNS=").Append(dns);
                }
            }
        }

        return value.ToString();
    }

    private static List<string> ReadUris(byte[] subjectAlternativeName)
    {
        var uris = new List<string>();
        try
        {
            var names = new AsnReader(subjectAlternativeName, AsnEncodingRules.DER).ReadSequence();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (names.HasData)
            {
                if (names.PeekTag().HasSameClassAndValue(uriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension contributes no URIs; the hash still identifies the certificate.
        }

        return uris;
    }
}
