namespace Ambassador.Tls;

internal sealed partial class TlsCertificateStore
{
    [LoggerMessage(EventId = 500, EventName = "TlsCertificateLoaded", Level = LogLevel.Information,
        Message = "TLS certificate '{Name}' loaded: subject '{Subject}', SHA-256 {Thumbprint}, expires {NotAfter:O}, from '{Path}'")]
    private static partial void LogLoaded(ILogger logger, string name, string subject, string thumbprint, DateTimeOffset notAfter, string path);

    [LoggerMessage(EventId = 501, EventName = "TlsCertificateReloaded", Level = LogLevel.Information,
        Message = "TLS certificate '{Name}' reloaded: subject '{Subject}', SHA-256 {Thumbprint} (was {PreviousThumbprint}), expires {NotAfter:O}; new handshakes use it")]
    private static partial void LogReloaded(ILogger logger, string name, string subject, string thumbprint, string previousThumbprint, DateTimeOffset notAfter);

    [LoggerMessage(EventId = 502, EventName = "TlsCertificateReloadFailed", Level = LogLevel.Error,
        Message = "TLS certificate '{Name}' changed but cannot be used ({Problem}); keeping the previous certificate SHA-256 {PreviousThumbprint}")]
    private static partial void LogReloadFailedKeepingPrevious(ILogger logger, string name, string problem, string previousThumbprint);

    [LoggerMessage(EventId = 503, EventName = "TlsCertificateLoadFailed", Level = LogLevel.Error,
        Message = "TLS certificate '{Name}' cannot be loaded ({Problem}); handshakes that need it fail until the files are fixed")]
    private static partial void LogLoadFailed(ILogger logger, string name, string problem);

    [LoggerMessage(EventId = 504, EventName = "TlsCertificateExpired", Level = LogLevel.Warning,
        Message = "TLS certificate '{Name}' (subject '{Subject}', from '{Path}') EXPIRED at {NotAfter:O}; peers will reject it, replace it")]
    private static partial void LogExpired(ILogger logger, string name, string subject, DateTimeOffset notAfter, string path);

    [LoggerMessage(EventId = 505, EventName = "TlsCertificateExpiresSoon", Level = LogLevel.Warning,
        Message = "TLS certificate '{Name}' (subject '{Subject}', from '{Path}') expires in {Days} days, at {NotAfter:O}; renew it")]
    private static partial void LogExpiresSoon(ILogger logger, string name, string subject, double days, DateTimeOffset notAfter, string path);
}
