#!/usr/bin/env bash
# Smoke test of the shipped form: publishes the Native AOT binary (failing on any trim/AOT warning),
# starts it against a tiny upstream on loopback (plus stand-ins for Consul and an OTLP collector),
# proxies requests over HTTP/1.1, h2c, HTTPS (inbound TLS) and through Consul discovery, reads the
# admin endpoints and /metrics, waits for an OTLP trace export, checks `validate`, then sends SIGTERM
# and expects exit code 0.
# Used by .ci/run; also handy by hand: `.ci/aot-smoke.sh` (AOT_SMOKE_NO_PUBLISH=1 reuses the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/artifacts/publish/aot"
bin="$out/Ambassador"
work=$(mktemp -d /tmp/ambassador-aot-smoke.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "aot-smoke: FAIL: $*" >&2; [ -f "$work/ambassador.log" ] && tail -n 40 "$work/ambassador.log" >&2; exit 1; }
ok() { echo "aot-smoke: ok: $*"; }

# Native AOT needs clang (linker driver), lld and zlib headers from Debian.
need=()
command -v clang >/dev/null || need+=(clang)
command -v ld.lld >/dev/null || need+=(lld)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "aot-smoke: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "${AOT_SMOKE_NO_PUBLISH:-0}" != 1 ]; then
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  started=$(date +%s)
  if ! dotnet publish src/Ambassador -c Release -r linux-x64 -p:PublishAot=true -o "$out" -nologo \
      > "$work/publish.log" 2>&1; then
    cat "$work/publish.log" >&2
    fail "dotnet publish -p:PublishAot=true failed"
  fi
  # Trim/AOT analysis warnings (ILxxxx) from our code are build errors already; ILC's whole-program
  # warnings about libraries are not, so any warning line fails the smoke test here.
  if grep -E "warning (IL|AOT|CS|NU|NETSDK)[0-9]+" "$work/publish.log" >&2; then
    fail "the AOT publish printed warnings (above)"
  fi
  ok "published $(du -h "$bin" | cut -f1) native binary in $(( $(date +%s) - started ))s, no warnings"
fi
[ -x "$bin" ] || fail "no binary at $bin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
up_port=$(free_port); proxy_port=$(free_port); admin_port=$(free_port); tls_port=$(free_port)
dead_port=$(free_port)   # nothing listens there: connect failures to retry on the other destination

# Inbound TLS listener: a self-signed certificate for localhost (PEM).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/server.key" -out "$work/server.crt" 2>/dev/null \
  || fail "openssl could not make a test certificate"

# Upstream: python's http.server with one file.
mkdir -p "$work/www"
echo "hello from the aot smoke upstream" > "$work/www/hello.txt"
python3 -m http.server "$up_port" --bind 127.0.0.1 --directory "$work/www" > "$work/upstream.log" 2>&1 &
pids+=($!)

mkdir -p "$work/www/consul"
echo "hello via consul discovery" > "$work/www/consul/hello.txt"

# A stand-in for Consul's health endpoint: one passing instance of "inventory" (the upstream above).
# The first query answers at once; a blocking query (index=) is held for 2 s and answers unchanged.
consul_port=$(free_port)
cat > "$work/consul.py" <<'PY'
import json, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs
port, up = int(sys.argv[1]), int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        u = urlparse(self.path)
        if u.path != "/v1/health/service/inventory":
            self.send_response(404); self.end_headers(); return
        if "index" in parse_qs(u.query):
            time.sleep(2)
        body = json.dumps([{"Node": {"Node": "n1", "Address": "127.0.0.1"},
                            "Service": {"ID": "inventory-1", "Service": "inventory", "Address": "127.0.0.1", "Port": up},
                            "Checks": [{"Status": "passing"}]}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Consul-Index", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$work/consul.py" "$consul_port" "$up_port" > "$work/consul.log" 2>&1 &
pids+=($!)

# A stand-in OTLP/HTTP collector: records the path of every POST (the body is protobuf; not parsed).
otlp_port=$(free_port)
cat > "$work/otlp.py" <<'PY'
import sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
port, out = int(sys.argv[1]), sys.argv[2]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        with open(out, "a") as f:
            f.write(f"{self.path} {len(body)}\n")
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
python3 "$work/otlp.py" "$otlp_port" "$work/otlp.posts" > "$work/otlp.log" 2>&1 &
pids+=($!)

cat > "$work/ambassador.json" <<EOF
{
  "Ambassador": {
    "Listeners": { "ProxyTls": "https://127.0.0.1:$tls_port" },
    "Tls": { "CertificatePath": "$work/server.crt", "KeyPath": "$work/server.key" },
    "Policies": { "default": { "Retry": { "MaxRetries": 2, "BaseDelay": "00:00:00.005" } } },
    "Discovery": { "Consul": { "Address": "http://127.0.0.1:$consul_port", "WaitTime": "00:00:05" } }
  },
  "ReverseProxy": {
    "Routes": {
      "inventory": { "ClusterId": "inventory", "Match": { "Path": "/consul/{**rest}" } },
      "flaky": { "ClusterId": "flaky", "Match": { "Path": "/retry/{**rest}" } },
      "app": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } }
    },
    "Clusters": {
      "inventory": {
        "Destinations": { "consul": { "Address": "http://inventory" } }
      },
      "flaky": {
        "Metadata": { "Policy": "default" },
        "LoadBalancingPolicy": "FirstAlphabetical",
        "Destinations": {
          "dead": { "Address": "http://127.0.0.1:$dead_port/" },
          "live": { "Address": "http://127.0.0.1:$up_port/" }
        }
      },
      "app": {
        "Destinations": { "app1": { "Address": "http://127.0.0.1:$up_port/" } }
      }
    }
  }
}
EOF

"$bin" validate "$work/ambassador.json" > "$work/validate.out" 2>&1 || fail "validate of a good file: exit $? ($(cat "$work/validate.out"))"
echo '{ "Ambassador": { "Listeners": { "Proxy": "nonsense" } } }' > "$work/bad.json"
rc=0; "$bin" validate "$work/bad.json" > "$work/validate-bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "validate of a bad file: exit $rc, expected 2"
grep -q "Ambassador:Listeners:Proxy" "$work/validate-bad.out" || fail "validate did not name the bad key: $(cat "$work/validate-bad.out")"
ok "validate: 0 for a good file, 2 naming the key for a bad one"

t0=$(date +%s%N)
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otlp_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
OTEL_BSP_SCHEDULE_DELAY=200 \
"$bin" --config "$work/ambassador.json" \
  "--Ambassador:Listeners:Proxy=http://127.0.0.1:$proxy_port" \
  "--Ambassador:Listeners:Admin=http://127.0.0.1:$admin_port" > "$work/ambassador.log" 2>&1 &
amb=$!
pids+=($amb)

deadline=$(( $(date +%s) + 20 ))
body=""
until body=$(curl -sf "http://127.0.0.1:$proxy_port/hello.txt" 2>/dev/null) && [ -n "$body" ]; do
  kill -0 "$amb" 2>/dev/null || fail "Ambassador exited during start"
  [ "$(date +%s)" -lt "$deadline" ] || fail "no proxied response within 20s"
  sleep 0.01
done
[ "$body" = "hello from the aot smoke upstream" ] || fail "unexpected proxied body: $body"
ok "first proxied request $(( ($(date +%s%N) - t0) / 1000000 )) ms after start"

h2=$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code} %{http_version}' "http://127.0.0.1:$proxy_port/hello.txt")
[ "$h2" = "200 2" ] || fail "h2c request: got '$h2', expected '200 2'"
ok "h2c (prior knowledge) request proxied"

tls=$(curl -sk -o "$work/tls.out" -w '%{http_code} %{http_version}' "https://127.0.0.1:$tls_port/hello.txt")
[ "$tls" = "200 2" ] && [ "$(cat "$work/tls.out")" = "hello from the aot smoke upstream" ] \
  || fail "HTTPS (h2 by ALPN) request on the TLS listener: got '$tls' $(head -c 200 "$work/tls.out")"
ok "inbound TLS listener (PEM certificate) proxied an HTTP/2 request"

deadline=$(( $(date +%s) + 10 ))
until body=$(curl -sf "http://127.0.0.1:$proxy_port/consul/hello.txt" 2>/dev/null) && [ -n "$body" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "no response through the Consul-discovered cluster within 10s"
  sleep 0.05
done
[ "$body" = "hello via consul discovery" ] || fail "unexpected body through Consul discovery: $body"
ok "Consul discovery (fake agent) resolved inventory and the request was proxied to it"

# The flaky cluster picks its destinations alphabetically, so the first attempt goes to "dead" and is retried on
# "live": the retry (and its metric) happens on every run, not only when random picks hit the dead one.
mkdir -p "$work/www/retry"; echo "retried" > "$work/www/retry/r.txt"
for i in 1 2 3 4 5 6; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$proxy_port/retry/r.txt")
  [ "$code" = 200 ] || fail "request $i to a cluster with one dead and one live destination: $code (retry policy)"
done
ok "retry policy (Polly): 6/6 requests to a cluster with a dead destination answered 200"

code=$(curl -s -o "$work/noroute.json" -w '%{http_code}' -H 'Host: x' "http://127.0.0.1:$proxy_port/missing-file")
[ "$code" = 404 ] || fail "upstream 404 should pass through, got $code"

for path in /healthz /readyz /admin/config /admin/clusters; do
  code=$(curl -s -o "$work/admin.out" -w '%{http_code}' "http://127.0.0.1:$admin_port$path")
  [ "$code" = 200 ] || fail "admin $path: $code $(head -c 300 "$work/admin.out")"
done
ok "admin /healthz /readyz /admin/config /admin/clusters answer 200"

code=$(curl -s -o "$work/metrics.txt" -w '%{http_code}' "http://127.0.0.1:$admin_port/metrics")
[ "$code" = 200 ] || fail "/metrics: $code"
for name in ambassador_requests_total ambassador_request_duration_seconds_bucket \
            http_server_request_duration_seconds_bucket http_client_request_duration_seconds_bucket dotnet_gc_; do
  grep -q "^$name" "$work/metrics.txt" || fail "/metrics has no $name lines"
done
grep -q 'ambassador_requests_total{.*cluster="inventory"' "$work/metrics.txt" \
  || fail "/metrics: no ambassador_requests_total for the Consul-discovered cluster"
grep -q '^ambassador_retries_total{.*cluster="flaky"' "$work/metrics.txt" \
  || fail "/metrics: no ambassador_retries_total for the cluster with a dead destination"
ok "/metrics: $(grep -c '^ambassador_' "$work/metrics.txt") ambassador_ lines, ASP.NET Core, HttpClient and runtime meters"

deadline=$(( $(date +%s) + 10 ))
until grep -q '^/v1/traces ' "$work/otlp.posts" 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "no OTLP/HTTP trace export within 10s"
  sleep 0.1
done
ok "traces exported over OTLP/HTTP ($(grep -c '^/v1/traces ' "$work/otlp.posts") POST(s) to /v1/traces)"

kill -TERM "$amb"
deadline=$(( $(date +%s) + 20 ))
while kill -0 "$amb" 2>/dev/null; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "still running 20s after SIGTERM"
  sleep 0.05
done
rc=0; wait "$amb" || rc=$?
[ "$rc" = 0 ] || fail "exit code $rc after SIGTERM, expected 0"
ok "SIGTERM: exit code 0"
echo "aot-smoke: passed"
