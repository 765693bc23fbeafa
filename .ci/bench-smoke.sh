#!/usr/bin/env bash
# CI: a short smoke run of the benchmark (one round, 1-s loads, no thresholds) so bench/run.sh keeps
# working. Reuses the AOT binary that .ci/aot-smoke.sh published when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bench/run.sh --smoke
