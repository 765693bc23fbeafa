#!/usr/bin/env bash
# Side-by-side benchmark: direct, Ambassador (Native AOT with all policies, AOT bare, JIT), nginx and
# HAProxy as proxies, against one nginx upstream. One command, ends by itself (about 6 minutes, about 25 with `--reference`;
# `--smoke`: one short round, no thresholds, for CI).
#
#   bench/run.sh                 # full run, writes bench/results/<timestamp>.md and prints it
#   bench/run.sh --smoke         # CI: checks that the script, the tools and the binaries work
#   bench/run.sh --no-build ...  # reuse artifacts/publish/{aot,jit}
#   bench/run.sh --reference     # adds bench/MinimalYarp (YARP alone, AOT): the floor under Ambassador's features
#   bench/run.sh --grpc          # only the gRPC unary row (bench/grpc_bench.py): Ambassador next to YARP alone, h2c
#   bench/run.sh --reference --rounds 1 --only amb-aot-full,amb-limits-off,amb-lb-p2c,amb-lb-peakewma,amb-lb-p2c-limits-off
#                                # traffic-control cost rows: concurrency limits, PeakEwma vs PowerOfTwoChoices
#   other options go to bench/bench.py (see `python3 bench/bench.py --help`)
#
# Proxy and upstream are pinned to core 0, the load generators to core 1 (taskset): run it on a
# machine with at least 2 cores and nothing else busy, or read the numbers with that in mind.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)
say() { echo "[run.sh $(( $(date +%s) - started ))s] $*" >&2; }

build=1
reference=0
grpc=0
args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --reference) reference=1 ;;
    --grpc) grpc=1 ;;
    *) args+=("$a") ;;
  esac
done

# Tools, from Debian (apt-get only when one is missing).
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v haproxy >/dev/null || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v taskset >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ "$build" = 1 ]; then
  command -v clang >/dev/null || need+=(clang)
  command -v ld.lld >/dev/null || need+=(lld)
  [ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$(nproc)" -lt 2 ]; then
  say "warning: $(nproc) core(s); pinning proxy and load generator to separate cores needs 2"
fi

aot="$root/artifacts/publish/aot/Ambassador"
jit="$root/artifacts/publish/jit/Ambassador.dll"
if [ "$build" = 1 ]; then
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  say "publishing Native AOT -> artifacts/publish/aot"
  dotnet publish src/Ambassador -c Release -r linux-x64 -p:PublishAot=true -o artifacts/publish/aot -nologo -v:q >&2
  say "publishing framework-dependent (JIT) -> artifacts/publish/jit"
  # Own artifacts path: a restore without the RID (and without ILCompiler) must not overwrite the
  # AOT build's project.assets.json, or every run would rebuild both from scratch.
  dotnet publish src/Ambassador -c Release -p:PublishAot=false --artifacts-path artifacts/jit-build \
    -o artifacts/publish/jit -nologo -v:q >&2
fi
minimal="$root/artifacts/publish/minimal-yarp/MinimalYarp"
if [ "$reference" = 1 ]; then
  if [ "$build" = 1 ]; then
    say "publishing bench/MinimalYarp (Native AOT) -> artifacts/publish/minimal-yarp"
    dotnet publish bench/MinimalYarp -c Release -r linux-x64 -o artifacts/publish/minimal-yarp -nologo -v:q >&2
  fi
  [ -x "$minimal" ] || { echo "missing $minimal (run without --no-build)" >&2; exit 1; }
  args+=(--reference-yarp "$minimal")
fi
# --- gRPC unary row (its own block; bench/grpc_bench.py): Ambassador AOT next to YARP alone over h2c, against a
# Grpc.AspNetCore echo upstream (bench/GrpcEcho), h2load with a gRPC-framed request. Runs instead of the HTTP rows.
if [ "$grpc" = 1 ]; then
  echo_bin="$root/artifacts/publish/grpc-echo/GrpcEcho"
  if [ "$build" = 1 ]; then
    say "publishing bench/GrpcEcho and bench/MinimalYarp (Native AOT)"
    dotnet publish bench/GrpcEcho -c Release -r linux-x64 -o artifacts/publish/grpc-echo -nologo -v:q >&2
    dotnet publish bench/MinimalYarp -c Release -r linux-x64 -o artifacts/publish/minimal-yarp -nologo -v:q >&2
  fi
  [ -x "$aot" ] && [ -x "$echo_bin" ] && [ -x "$minimal" ] || { echo "missing $aot, $echo_bin or $minimal (run without --no-build)" >&2; exit 1; }
  say "benchmarking the gRPC unary row"
  rc=0
  python3 bench/grpc_bench.py --aot "$aot" --yarp "$minimal" --echo "$echo_bin" ${args[@]+"${args[@]}"} || rc=$?
  say "done (exit $rc)"
  exit $rc
fi

[ -x "$aot" ] || { echo "missing $aot (run without --no-build)" >&2; exit 1; }
[ -f "$jit" ] || { echo "missing $jit (run without --no-build)" >&2; exit 1; }

# ---- Unix-socket block: the app's hop over TCP loopback vs the proxy's Unix socket (bench/unix_socket.py) ----
#   bench/run.sh --unix-socket        adds it after the main benchmark
#   bench/run.sh --unix-socket-only   runs only it (about 1.5 minutes after the build)
unix_socket=0
unix_socket_only=0
rest=()
for a in ${args[@]+"${args[@]}"}; do
  case "$a" in
    --unix-socket) unix_socket=1 ;;
    --unix-socket-only) unix_socket=1; unix_socket_only=1 ;;
    *) rest+=("$a") ;;
  esac
done
args=(${rest[@]+"${rest[@]}"})
run_unix_socket() {
  local client="$root/artifacts/publish/unix-socket-load/UnixSocketLoad.dll"
  if [ "$build" = 1 ]; then
    say "publishing bench/UnixSocketLoad -> artifacts/publish/unix-socket-load"
    dotnet publish bench/UnixSocketLoad -c Release -o artifacts/publish/unix-socket-load -nologo -v:q >&2
  fi
  [ -f "$client" ] || { echo "missing $client (run without --no-build)" >&2; return 1; }
  say "benchmarking the app's hop: TCP loopback vs Unix socket"
  python3 bench/unix_socket.py --aot "$aot" --client "$client"
}
if [ "$unix_socket_only" = 1 ]; then
  rc=0
  run_unix_socket || rc=$?
  say "done (exit $rc)"
  exit $rc
fi
# ---- end of the Unix-socket block ----

say "benchmarking"
rc=0
python3 bench/bench.py --aot "$aot" --jit "$jit" ${args[@]+"${args[@]}"} || rc=$?
if [ "$unix_socket" = 1 ]; then run_unix_socket || rc=$?; fi
say "done (exit $rc)"
exit $rc
