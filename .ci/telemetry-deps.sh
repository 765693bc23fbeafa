#!/usr/bin/env bash
# Installs promtool (Debian package `prometheus`) so the telemetry tests can lint the /metrics exposition
# (MetricsTests.Metrics_Exposition_PassesPromtoolCheck skips, saying so, when promtool is missing).
# Idempotent; run from .ci/run before the tests.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  echo "promtool present: $(promtool --version 2>&1 | head -1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "promtool missing and not root: install the Debian package 'prometheus' (apt-get install prometheus)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps it to the binaries; the package's service is not needed (and not started in CI containers).
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The package may start a Prometheus server (port 9090) where systemd runs; the tests need only promtool.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl stop prometheus || true
fi
command -v promtool >/dev/null 2>&1 || { echo "promtool still missing after installing prometheus" >&2; exit 1; }
echo "promtool installed: $(promtool --version 2>&1 | head -1)"
