namespace Ambassador.Policies.Retry;

/// <summary>What a policy retries, parsed from <see cref="RetryPolicyOptions.RetryOn"/>.</summary>
[Flags]
internal enum RetryConditions
{
    None = 0,
    ConnectFailure = 1,
    Reset = 2,
    PerTryTimeout = 4,
    Status502 = 8,
    Status503 = 16,
    Status504 = 32,
    Status429 = 64,

    // gRPC statuses of a trailers-only answer (see Grpc.GrpcRetryConditions).
    GrpcUnavailable = 128,
    GrpcResourceExhausted = 256,
    GrpcCancelled = 512,
    GrpcDeadlineExceeded = 1024,
    GrpcInternal = 2048,
}

/// <summary>Parses and queries <see cref="RetryConditions"/>.</summary>
internal static class RetryConditionsParser
{
    /// <summary>The tokens accepted in <c>RetryOn</c>, for error messages.</summary>
    public const string Accepted = "connect-failure, reset, per-try-timeout, 502, 503, 504, 429, gateway-error, "
        + "grpc-unavailable, grpc-resource-exhausted, grpc-cancelled, grpc-deadline-exceeded, grpc-internal";

    /// <summary>Parses a comma-separated list; returns the tokens that are not understood.</summary>
    public static RetryConditions Parse(string? value, out List<string>? unknown)
    {
        unknown = null;
        var result = RetryConditions.None;
        if (string.IsNullOrWhiteSpace(value))
        {
            return result;
        }

        foreach (var range in value.AsSpan().Split(','))
        {
            var token = value.AsSpan()[range].Trim();
            if (token.IsEmpty)
            {
                continue;
            }

            var condition = token switch
            {
                "connect-failure" => RetryConditions.ConnectFailure,
                "reset" => RetryConditions.Reset,
                "per-try-timeout" => RetryConditions.PerTryTimeout,
                "502" => RetryConditions.Status502,
                "503" => RetryConditions.Status503,
                "504" => RetryConditions.Status504,
                "429" => RetryConditions.Status429,
                "gateway-error" => RetryConditions.Status502 | RetryConditions.Status503 | RetryConditions.Status504,
                "grpc-unavailable" => RetryConditions.GrpcUnavailable,
                "grpc-resource-exhausted" => RetryConditions.GrpcResourceExhausted,
                "grpc-cancelled" => RetryConditions.GrpcCancelled,
                "grpc-deadline-exceeded" => RetryConditions.GrpcDeadlineExceeded,
                "grpc-internal" => RetryConditions.GrpcInternal,
                _ => RetryConditions.None,
            };

            if (condition == RetryConditions.None)
            {
                (unknown ??= []).Add(token.ToString());
            }

            result |= condition;
        }

        return result;
    }

    /// <summary>The condition a response status stands for, or <see cref="RetryConditions.None"/>.</summary>
    public static RetryConditions ForStatus(int statusCode) => statusCode switch
    {
        502 => RetryConditions.Status502,
        503 => RetryConditions.Status503,
        504 => RetryConditions.Status504,
        429 => RetryConditions.Status429,
        _ => RetryConditions.None,
    };

    /// <summary>The metric label of a condition (bounded set).</summary>
    public static string Label(RetryConditions condition) => condition switch
    {
        RetryConditions.ConnectFailure => "connect-failure",
        RetryConditions.Reset => "reset",
        RetryConditions.PerTryTimeout => "per-try-timeout",
        RetryConditions.Status502 => "502",
        RetryConditions.Status503 => "503",
        RetryConditions.Status504 => "504",
        RetryConditions.Status429 => "429",
        RetryConditions.GrpcUnavailable => "grpc-unavailable",
        RetryConditions.GrpcResourceExhausted => "grpc-resource-exhausted",
        RetryConditions.GrpcCancelled => "grpc-cancelled",
        RetryConditions.GrpcDeadlineExceeded => "grpc-deadline-exceeded",
        RetryConditions.GrpcInternal => "grpc-internal",
        _ => "other",
    };
}
