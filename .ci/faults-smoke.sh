#!/usr/bin/env bash
# CI: the fault suite's short mode (bench/faults.sh --short): an instance killed and Consul restarted under load
# with no failed request, a 500-connection storm, slow clients and the framing variants with nothing smuggled.
# Reuses the AOT binary that .ci/aot-smoke.sh published when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
exec bench/faults.sh --short
