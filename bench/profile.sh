#!/usr/bin/env bash
# Where a proxied request's CPU goes, by component: Ambassador (Native AOT, all policies) next to YARP alone
# (bench/MinimalYarp), both under wrk at 32 connections, sampled with perf. About 2 minutes.
#
#   bench/profile.sh            # publishes both binaries with symbols into artifacts/profile, prints Markdown
#   bench/profile.sh --no-build # reuse artifacts/profile
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
[ "${1:-}" = "--no-build" ] && build=0

need=()
command -v perf >/dev/null || need+=(linux-perf)
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v taskset >/dev/null || need+=(util-linux)
if [ "$build" = 1 ]; then
  command -v clang >/dev/null || need+=(clang)
  command -v ld.lld >/dev/null || need+=(lld)
  [ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ "$build" = 1 ]; then
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  # Symbols stay in the binaries (StripSymbols=false) so perf can name every function; own artifacts path,
  # so the benchmark's stripped build is not replaced.
  dotnet publish src/Ambassador -c Release -r linux-x64 -p:StripSymbols=false --artifacts-path artifacts/profile-build \
    -o artifacts/profile/aot -nologo -v:q >&2
  dotnet publish bench/MinimalYarp -c Release -r linux-x64 -p:StripSymbols=false --artifacts-path artifacts/profile-build \
    -o artifacts/profile/minimal-yarp -nologo -v:q >&2
fi
exec python3 bench/profile.py --aot artifacts/profile/aot/Ambassador --reference-yarp artifacts/profile/minimal-yarp/MinimalYarp
