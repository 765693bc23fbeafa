# Ambassador sidecar image: a Native AOT binary on a chiseled (distroless) base, running as non-root.
#   docker build -t ambassador .
#   docker run --rm -v $PWD/ambassador.json:/etc/ambassador/ambassador.json:ro ambassador --config /etc/ambassador/ambassador.json
# linux-x64 only: Native AOT does not cross-compile to another architecture without an extra toolchain.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Native AOT links with clang and needs zlib's headers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends clang zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /source
COPY global.json .editorconfig Directory.Build.* Directory.Packages.props ./
COPY src/ src/
RUN dotnet publish src/Ambassador/Ambassador.csproj -c Release -r linux-x64 -p:PublishAot=true -o /app \
    && rm -f /app/*.dbg /app/*.pdb /app/*.xml

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled AS final
WORKDIR /app
COPY --from=build /app/ ./
# Inside a container loopback is private to the pod / the shared network namespace:
# - the proxy stays on 127.0.0.1:3000 (only the app beside it may call it; an open proxy on the pod IP is a hole).
#   Standalone use (not a sidecar): -e Ambassador__Listeners__Proxy=http://0.0.0.0:3000
# - the admin listener must be reachable by the kubelet's probes and by Prometheus, so it listens on all interfaces.
# ASPNETCORE_HTTP_PORTS (8080 in the base image) is cleared: Ambassador configures its own listeners.
# Workstation GC keeps the footprint small for a sidecar with a 128 MiB limit.
ENV Ambassador__Listeners__Admin=http://0.0.0.0:9901 \
    ASPNETCORE_HTTP_PORTS="" \
    DOTNET_gcServer=0
# Configuration: mount an appsettings file and pass --config (CMD below), mount /app/appsettings.json,
# or use env vars (Ambassador__..., ReverseProxy__...). OTLP export follows OTEL_EXPORTER_OTLP_ENDPOINT.
EXPOSE 3000 9901
USER $APP_UID
# No curl in a chiseled image: the binary checks itself (GET /healthz on the admin listener, exit 0/1).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/app/Ambassador", "health"]
ENTRYPOINT ["/app/Ambassador"]
CMD []
