#!/usr/bin/env python3
"""Side-by-side benchmark of Ambassador against direct, nginx and haproxy.

Started by bench/run.sh (which installs the tools and publishes the binaries). Standard library
only. Every target is measured in every round; the order rotates from round to round so that
drift on a shared machine hits all targets alike. Proxy and upstream are pinned to one core,
the load generators and this script to the other (taskset).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
UPSTREAM_BODY = b"hello from upstream"
MIB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# small helpers


_PORTS_TAKEN: set[int] = set()


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A target keeps its ports for the whole run and is restarted
    every round; a port from the ephemeral range (what binding port 0 gives) can meanwhile become the source port of
    one of the many loopback connections a load opens, and the next start then fails with "address in use"."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = list(range(max(1024, low - 12000), low))
    random.shuffle(candidates)
    for port in candidates:
        if port in _PORTS_TAKEN:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _PORTS_TAKEN.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def render(template: Path, dest: Path, **values: object) -> Path:
    text = string.Template(template.read_text()).substitute({"schema": "$schema", **{k: str(v) for k, v in values.items()}})  # JSON configs' "$schema" key stays
    dest.write_text(text)
    return dest


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def probe(port: int, path: str = "/", timeout: float = 0.5) -> tuple[int, bytes] | None:
    """One HTTP/1.1 GET on a fresh connection; None when the port refuses or times out."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    if not data.startswith(b"HTTP/1."):
        return None
    status = int(data.split(b" ", 2)[1])
    return status, data


def allocated_bytes(port: int | None) -> int | None:
    """GC.GetTotalAllocatedBytes of the process behind an admin port (/admin/memory), or None."""
    if port is None:
        return None
    r = probe(port, "/admin/memory", timeout=2.0)
    if r is None or r[0] != 200:
        return None
    m = re.search(rb'"allocatedBytes":\s*(\d+)', r[1])
    return int(m.group(1)) if m else None


class OtlpReceiver:
    """A local OTLP/HTTP trace receiver: accepts every POST /v1/traces with 200 and counts the bytes."""

    def __init__(self, port: int):
        received = self.received = [0, 0]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                received[0] += 1
                received[1] += length
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def proc_children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def proc_tree(pid: int) -> list[int]:
    pids = [pid]
    for child in proc_children(pid):
        pids += proc_tree(child)
    return pids


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rfind(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def context_switches(pids: list[int]) -> int:
    """Voluntary + involuntary context switches of every thread of the processes."""
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/status") as f:
                    for line in f:
                        if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                            total += int(line.split()[1])
            except OSError:
                continue
    return total


def status_kib(pids: list[int], key: str) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def median(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# --------------------------------------------------------------------------------------------
# load generators (all pinned to the load core)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


class Load:
    def __init__(self, load_core: int, tmp: Path):
        self.core = load_core
        self.tmp = tmp

    def _run(self, cmd: list[str], timeout: float) -> str:
        full = ["taskset", "-c", str(self.core), *cmd]
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[:500]}")
        return p.stdout

    def wrk(self, url: str, connections: int, seconds: int) -> dict:
        out = self._run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url], seconds + 30
        )
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
        lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
        errors = 0
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if m:
            errors += int(m.group(1))
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        if m:
            errors += sum(int(x) for x in m.groups())
        return {
            "rps": rps,
            "requests": total,
            "p50": _ms(lat["50"]) if "50" in lat else None,
            "p99": _ms(lat["99"]) if "99" in lat else None,
            "errors": errors,
        }

    def fixed_rate(self, url: str, rate: int, seconds: int) -> dict:
        """HTTP/1.1 at a fixed total rate over 4 connections (h2load's rate is per connection)."""
        return self.h2load(url, ["--h1", "-c", "4", "--rps", str(rate // 4)], seconds)

    def h2load(self, url: str, args: list[str], seconds: int) -> dict:
        logf = self.tmp / "h2load.log"
        if logf.exists():
            logf.unlink()
        out = self._run(
            ["h2load", *args, "-D", str(seconds), "--log-file", str(logf), url], seconds + 30
        )
        m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
        done, ok = int(m.group(3)), int(m.group(4))
        status2xx = re.search(r"status codes: (\d+) 2xx", out)
        n2xx = int(status2xx.group(1)) if status2xx else 0
        rps = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
        lats = []
        with open(logf) as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) >= 3 and parts[1].startswith("2"):
                    lats.append(int(parts[2]) / 1000.0)
        lats.sort()

        def pct(p: float) -> float | None:
            if not lats:
                return None
            return lats[min(len(lats) - 1, int(round(p / 100.0 * (len(lats) - 1))))]

        return {
            "rps": rps,
            "requests": done,
            "p50": pct(50),
            "p99": pct(99),
            "errors": int(m.group(5)) + int(m.group(6)) + int(m.group(7)) + max(0, done - n2xx),
        }


# --------------------------------------------------------------------------------------------
# targets


class Target:
    """A thing to put load on: `direct` (no process) or a proxy process started fresh per phase."""

    def __init__(self, name: str, label: str, port: int, h2c_port: int | None, cmd: list[str] | None,
                 cwd: Path | None = None, env: dict | None = None, stop_signal: int = signal.SIGTERM,
                 expect_exit_zero: bool = False, extra_ports: list[int] | None = None, admin_port: int | None = None):
        self.name, self.label = name, label
        self.port, self.h2c_port = port, h2c_port
        self.cmd, self.cwd, self.env = cmd, cwd, env
        self.stop_signal = stop_signal
        self.expect_exit_zero = expect_exit_zero
        self.extra_ports = extra_ports or []
        self.admin_port = admin_port
        self.proc: subprocess.Popen | None = None
        self.t0 = 0.0
        self.logfile = None

    @property
    def is_process(self) -> bool:
        return self.cmd is not None

    def start(self, core: int, logdir: Path) -> None:
        assert self.cmd is not None
        self.logfile = open(logdir / f"{self.name}.log", "ab")
        env = dict(os.environ)
        env.update(self.env or {})
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ["taskset", "-c", str(core), *self.cmd], cwd=self.cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
        )

    def wait_first_proxied(self, timeout: float = 30.0) -> float:
        """Polls the proxy port in a tight loop; returns ms from spawn to the first 200 from upstream."""
        deadline = self.t0 + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} during start (see its log)")
            r = probe(self.port, timeout=1.0)
            if r is not None and r[0] == 200 and UPSTREAM_BODY in r[1]:
                return (time.monotonic() - self.t0) * 1000.0
            time.sleep(0.0002)
        raise RuntimeError(f"{self.name}: no proxied 200 within {timeout}s")

    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc else []

    def stop(self) -> int | None:
        if not self.proc:
            return None
        self.proc.send_signal(self.stop_signal)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        if self.logfile:
            self.logfile.close()
        # Let the kernel release the ports before the next start.
        for port in [self.port, self.h2c_port, *self.extra_ports]:
            if port is None:
                continue
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and probe(port, timeout=0.2) is not None:
                time.sleep(0.01)
        return rc


# --------------------------------------------------------------------------------------------
# the cost table: each feature switched by configuration against the full configuration

# (target, feature, how it is switched, environment); "on" rows measure the feature switched on (cost = row - full),
# "off" rows measure it switched off (cost = full - row).
COST_VARIANTS = [
    ("amb-policy-none", "resilience policy (retry, budget, breaker, timeouts)", "off", {"ReverseProxy__Clusters__app__Metadata__Policy": "none"}),
    ("amb-metrics-off", "metrics (Ambassador meter + ASP.NET Core, Kestrel, HttpClient, runtime; /metrics)", "off", {"Ambassador__Telemetry__Metrics": "false"}),
    ("amb-otlp-0", "tracing: OTLP exporter configured, sampling 0", "on", {"otlp": "1"}),
    ("amb-otlp-1", "tracing: OTLP export of every request (sampling 1)", "on", {"otlp": "1", "Ambassador__Telemetry__SamplingRatio": "1"}),
    ("amb-log", "access log (one JSON line per request)", "on", {"Ambassador__AccessLog__Enabled": "true"}),
]
# The runtime's own GC defaults (workstation, concurrent, no gen0 budget cap), overriding the settings both binaries
# are built with (workstation non-concurrent, 4 MiB gen0 budget): the "-defaultgc" targets report the ratios that way too.
DEFAULT_GC_ENV = {"DOTNET_gcServer": "0", "DOTNET_gcConcurrent": "1", "DOTNET_GCgen0MaxBudget": "0"}

COST_LABEL = {
    "amb-policy-none": "`Policy: none`",
    "amb-metrics-off": "`Telemetry:Metrics` false",
    "amb-otlp-0": "OTLP exporter, sampling 0",
    "amb-otlp-1": "OTLP exporter, sampling 1",
    "amb-log": "access log on",
}


# --------------------------------------------------------------------------------------------
# traffic-control cost rows: concurrency limits and the PeakEwma balancer, switched by configuration

# A second destination (the same upstream under another id) gives the balancers a choice to make: with one destination
# YARP skips load balancing altogether. `$upstream_port` is filled in per run.
_SECOND = {"ReverseProxy__Clusters__app__Destinations__upstream2__Address": "http://127.0.0.1:$upstream_port/"}
_LIMITS_OFF = {"Ambassador__Policies__default__Limits__Enabled": "false"}
TRAFFIC_VARIANTS = [
    ("amb-limits-off", "Ambassador AOT, all policies, `Limits:Enabled` false", _LIMITS_OFF),
    ("amb-lb-p2c", "Ambassador AOT, all policies, 2 destinations, PowerOfTwoChoices",
     {**_SECOND, "ReverseProxy__Clusters__app__LoadBalancingPolicy": "PowerOfTwoChoices"}),
    ("amb-lb-peakewma", "Ambassador AOT, all policies, 2 destinations, PeakEwma",
     {**_SECOND, "ReverseProxy__Clusters__app__LoadBalancingPolicy": "PeakEwma"}),
    ("amb-lb-p2c-limits-off", "Ambassador AOT, all policies, 2 destinations, PowerOfTwoChoices, `Limits:Enabled` false",
     {**_SECOND, **_LIMITS_OFF, "ReverseProxy__Clusters__app__LoadBalancingPolicy": "PowerOfTwoChoices"}),
]
# (feature, switched, with, without): cost = with - without, in the same run.
TRAFFIC_ROWS = [
    ("concurrency limits (requests and retries)", "`Limits:Enabled` true vs false", "amb-aot-full", "amb-limits-off"),
    ("PeakEwma instead of PowerOfTwoChoices (2 destinations)", "`LoadBalancingPolicy`", "amb-lb-peakewma", "amb-lb-p2c"),
    ("limits + PeakEwma together (target ≤ 2 µs)", "both, against limits off + PowerOfTwoChoices", "amb-lb-peakewma", "amb-lb-p2c-limits-off"),
]


def traffic_cost_report(summary: dict) -> list[str]:
    rows = [r for r in TRAFFIC_ROWS if summary.get(r[2]) and summary.get(r[3])]
    if not rows:
        return []

    def diff(a, b, key):
        x, y = summary[a].get(key), summary[b].get(key)
        return x - y if x is not None and y is not None else None

    L = ["Traffic-control cost (each switched by configuration, in the same run; with minus without):", "",
         "| feature | switched | CPU µs/req, 32 conns | CPU µs/req, fixed rate | bytes/req |", "|---|---|---:|---:|---:|"]
    for feature, switched, a, b in rows:
        L.append(f"| {feature} | {switched} | {fmt(diff(a, b, 'c32.cpu_us_per_req'), 1)} | {fmt(diff(a, b, 'fixed.cpu_us_per_req'), 1)} | {fmt(diff(a, b, 'c32.alloc_bytes_per_req'))} |")
    L.append("")
    return L


# --------------------------------------------------------------------------------------------
# one target, one round


def timed_load(pids: list[int], fn) -> dict:
    """Runs one load and adds the proxy's CPU and context switches per request to its result."""
    before, switches = cpu_ticks(pids), context_switches(pids)
    r = fn()
    after, switches = cpu_ticks(pids), context_switches(pids) - switches
    r["cpu_us_per_req"] = (after - before) * 1e6 / CLK_TCK / r["requests"] if r["requests"] else None
    r["ctxsw_per_req"] = switches / r["requests"] if r["requests"] else None
    return r


def measure(target: Target, load: Load, cfg: argparse.Namespace, steady_only: bool = False) -> dict:
    res: dict = {}
    url = f"http://127.0.0.1:{target.port}/"
    h2c_url = f"http://127.0.0.1:{target.h2c_port}/" if target.h2c_port else None

    if target.is_process:
        # Phase A: fresh start, first proxied request, idle memory, graceful stop.
        target.start(cfg.proxy_core, cfg.logdir)
        res["startup_ms"] = [target.wait_first_proxied()]
        time.sleep(cfg.idle_wait)
        res["rss_idle_kib"] = status_kib(target.pids(), "VmRSS")
        rc = target.stop()
        res["exit_code"] = rc

        # Phase B: fresh start, warm-up buckets straight away, then the steady loads.
        target.start(cfg.proxy_core, cfg.logdir)
        res["startup_ms"].append(target.wait_first_proxied())
        buckets = []
        for _ in range(cfg.warmup_buckets):
            buckets.append(load.wrk(url, 32, 1)["rps"])
        res["warmup_rps"] = buckets

    pids = target.pids() if target.is_process else cfg.upstream_pids

    def timed(name: str, fn) -> None:
        res[name] = timed_load(pids, fn)

    d = cfg.duration
    timed("c1", lambda: load.wrk(url, 1, d))
    alloc_before = allocated_bytes(target.admin_port) if target.is_process else None
    timed("c32", lambda: load.wrk(url, 32, d))
    alloc_after = allocated_bytes(target.admin_port) if target.is_process else None
    if alloc_before is not None and alloc_after is not None and res["c32"]["requests"]:
        res["c32"]["alloc_bytes_per_req"] = (alloc_after - alloc_before) / res["c32"]["requests"]
    timed("fixed", lambda: load.fixed_rate(url, cfg.rate, d))
    if h2c_url:
        timed("h2c", lambda: load.h2load(h2c_url, ["-c", "1", "-m", "32"], d))

    if target.is_process:
        time.sleep(cfg.idle_wait)
        res["rss_after_kib"] = status_kib(target.pids(), "VmRSS")
        res["rss_peak_kib"] = status_kib(target.pids(), "VmHWM")
        rc = target.stop()
        res["exit_code_after_load"] = rc
    return res


# --------------------------------------------------------------------------------------------
# report


def fmt(x, nd=0, suffix=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{suffix}"


# The reference targets measured a second way: the processes run at the same time (an idle one costs nothing
# measurable), warmed up, and their loads alternate, so each round compares targets seconds apart rather than
# minutes. A sidecar is long-lived: this is the cost it pays in steady state, with the drift of a shared machine
# cancelled pair by pair. The rounds above (a fresh process each) stay in the report beside it.
PAIRED = ["yarp-minimal", "amb-aot-full", "amb-otlp-1", "yarp-minimal-defaultgc", "amb-aot-full-defaultgc"]
PAIRED_BASE = {"amb-aot-full": "yarp-minimal", "amb-otlp-1": "yarp-minimal", "amb-aot-full-defaultgc": "yarp-minimal-defaultgc"}


def measure_paired(targets: list[Target], load: Load, cfg: argparse.Namespace) -> dict[str, list[dict]]:
    started: list[Target] = []
    res: dict[str, list[dict]] = {t.name: [] for t in targets}
    try:
        for t in targets:
            t.start(cfg.proxy_core, cfg.logdir)
            started.append(t)
            t.wait_first_proxied()
            load.wrk(f"http://127.0.0.1:{t.port}/", 32, 2)  # warm: connections, pools, heap
        for rnd in range(cfg.pairs):
            order = targets if rnd % 2 == 0 else targets[::-1]
            log(f"paired round {rnd + 1}/{cfg.pairs}")
            for t in order:
                url, pids = f"http://127.0.0.1:{t.port}/", t.pids()
                res[t.name].append({
                    "c32": timed_load(pids, lambda: load.wrk(url, 32, cfg.duration)),
                    "fixed": timed_load(pids, lambda: load.fixed_rate(url, cfg.rate, cfg.duration)),
                })
    finally:
        for t in started:
            t.stop()
    return res


def summarize_paired(paired: dict[str, list[dict]]) -> dict[str, dict]:
    """Per target with a base: the median over rounds of (target / base of the same round), and the medians of each."""
    out: dict[str, dict] = {}
    for name, base in PAIRED_BASE.items():
        a, b = paired.get(name), paired.get(base)
        if not a or not b:
            continue
        s: dict = {"rounds": len(a)}
        for key in (("c32", "cpu_us_per_req"), ("fixed", "cpu_us_per_req"), ("c32", "rps")):
            ratios = [x[key[0]][key[1]] / y[key[0]][key[1]] for x, y in zip(a, b)
                      if x[key[0]].get(key[1]) and y[key[0]].get(key[1])]
            s[".".join(key)] = median(ratios)
            s[".".join(key) + ".per_round"] = ratios
            s[".".join(key) + ".value"] = median([x[key[0]][key[1]] for x in a])
            s[".".join(key) + ".base"] = median([y[key[0]][key[1]] for y in b])
        out[name] = s
    return out


def summarize(all_rounds: dict[str, list[dict]]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, rounds in all_rounds.items():
        s: dict = {}
        for load in ("c1", "c32", "fixed", "h2c"):
            for key in ("rps", "p50", "p99", "cpu_us_per_req", "ctxsw_per_req", "alloc_bytes_per_req", "errors"):
                vals = [r[load][key] for r in rounds if load in r and r[load].get(key) is not None]
                if vals:
                    s[f"{load}.{key}"] = median(vals) if key != "errors" else sum(vals)
                    if key == "rps":
                        s[f"{load}.rps_min"], s[f"{load}.rps_max"] = min(vals), max(vals)
        if any("startup_ms" in r for r in rounds):
            starts = [x for r in rounds for x in r.get("startup_ms", [])]
            s["startup_ms"] = median(starts)
            s["startup_ms_max"] = max(starts)
            s["rss_idle_mib"] = median([r["rss_idle_kib"] / 1024 for r in rounds])
            s["rss_after_mib"] = median([r["rss_after_kib"] / 1024 for r in rounds])
            s["rss_peak_mib"] = max(r["rss_peak_kib"] / 1024 for r in rounds)
            nb = min(len(r["warmup_rps"]) for r in rounds)
            s["warmup_rps"] = [median([r["warmup_rps"][i] for r in rounds]) for i in range(nb)]
            s["warmup_ratio"] = [
                median([r["warmup_rps"][i] / r["c32"]["rps"] for r in rounds if r["c32"]["rps"]])
                for i in range(nb)
            ]
            s["exit_codes"] = sorted({r.get("exit_code") for r in rounds} | {r.get("exit_code_after_load") for r in rounds})
        out[name] = s
    return out


def report(cfg, targets: list[Target], summary: dict, meta: dict) -> str:
    L: list[str] = []
    names = [t.name for t in targets]
    label = {t.name: t.label for t in targets}
    direct = summary.get("direct", {})
    nginx = summary.get("nginx", {})

    def ratio(a, b):
        return f"{a / b:.2f}×" if a and b else "n/a"

    L.append(f"### Benchmark run {meta['when']}{' (smoke: numbers are not meaningful)' if cfg.smoke else ''}")
    L.append("")
    L.append(f"- Machine: {meta['cpu']}, {meta['ncpu']} cores, {meta['mem']}, {meta['kernel']}; load average before/after: {meta['load_before']} / {meta['load_after']}.")
    L.append(f"- Pinning: proxy and upstream on core {cfg.proxy_core}, load generator and this script on core {cfg.load_core} (`taskset`).")
    L.append(f"- {cfg.rounds} round(s), order rotated each round; each load runs {cfg.duration} s; medians across rounds (throughput also min–max).")
    L.append(f"- Upstream: nginx {meta['nginx']} (1 worker) returning a {len(UPSTREAM_BODY) + 1}-byte body. Tools: {meta['wrk']}, h2load {meta['h2load']}, HAProxy {meta['haproxy']}, .NET {meta['dotnet']}.")
    L.append(f"- Ambassador commit {meta['commit']}. All policies (`conf/ambassador-full.json`): static destination, "
             "policy `default` with retry (2 retries, budget 20 %), per-destination circuit breaker and per-try/total "
             "timeouts, metrics on `/metrics`, tracing with `SamplingRatio` 0. Bare (`conf/ambassador-bare.json`): "
             "retries off (`MaxRetries` 0); the breaker, timeouts and metrics cannot be switched off and stay on. "
             f"{meta.get('notes', '')}")
    L.append("")
    L.append("Throughput (requests/s; ratios are for wrk at 32 connections):")
    L.append("")
    L.append("| target | wrk 1 conn | wrk 32 conn | h2load h2c 32 streams | ×direct (32c) | ×nginx (32c) | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for n in names:
        s = summary[n]
        c32 = f"{fmt(s.get('c32.rps'))} ({fmt(s.get('c32.rps_min'))}–{fmt(s.get('c32.rps_max'))})"
        errs = sum(s.get(f"{l}.errors", 0) for l in ("c1", "c32", "fixed", "h2c"))
        L.append(f"| {label[n]} | {fmt(s.get('c1.rps'))} | {c32} | {fmt(s.get('h2c.rps'))} | {ratio(s.get('c32.rps'), direct.get('c32.rps'))} | {ratio(s.get('c32.rps'), nginx.get('c32.rps'))} | {errs} |")
    L.append("")
    L.append(f"Latency (ms, p50 / p99). Fixed rate = h2load HTTP/1.1, 4 connections, {cfg.rate} req/s in total; added = over direct:")
    L.append("")
    L.append("| target | wrk 1 conn | wrk 32 conn | h2c 32 streams | fixed rate | added at fixed rate |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for n in names:
        s = summary[n]

        def pp(load):
            return f"{fmt(s.get(load + '.p50'), 3)} / {fmt(s.get(load + '.p99'), 3)}"

        added = "—"
        if n != "direct" and s.get("fixed.p50") is not None and direct.get("fixed.p50") is not None:
            added = f"{s['fixed.p50'] - direct['fixed.p50']:+.3f} / {s['fixed.p99'] - direct['fixed.p99']:+.3f}"
        L.append(f"| {label[n]} | {pp('c1')} | {pp('c32')} | {pp('h2c')} | {pp('fixed')} | {added} |")
    L.append("")
    L.append("Proxy CPU per request (µs, utime+stime from /proc; for direct: the upstream's):")
    L.append("")
    L.append("| target | wrk 1 conn | wrk 32 conn | h2c 32 streams | fixed rate | context switches per request (32 conn / fixed rate) |")
    L.append("|---|---:|---:|---:|---:|---:|")
    for n in names:
        s = summary[n]
        L.append(f"| {label[n]} | {fmt(s.get('c1.cpu_us_per_req'), 1)} | {fmt(s.get('c32.cpu_us_per_req'), 1)} | {fmt(s.get('h2c.cpu_us_per_req'), 1)} | {fmt(s.get('fixed.cpu_us_per_req'), 1)} | {fmt(s.get('c32.ctxsw_per_req'), 2)} / {fmt(s.get('fixed.ctxsw_per_req'), 2)} |")
    L.append("")
    L.append("Start, warm-up and memory (RSS summed over the proxy's processes; idle = 1 s after the first proxied request; after load = 1 s after the last load; peak = VmHWM):")
    L.append("")
    nb = cfg.warmup_buckets
    L.append("| target | first proxied request (ms, median / max) | warm-up: 1-s buckets of wrk 32c, % of steady | RSS idle (MiB) | RSS after load | RSS peak | exit codes (SIGTERM/…) |")
    L.append("|---|---:|---|---:|---:|---:|---|")
    for n in names:
        s = summary[n]
        if "startup_ms" not in s:
            continue
        warm = " · ".join(f"{r * 100:.0f}%" for r in s["warmup_ratio"])
        L.append(f"| {label[n]} | {fmt(s['startup_ms'], 1)} / {fmt(s['startup_ms_max'], 1)} | {warm} | {fmt(s['rss_idle_mib'], 1)} | {fmt(s['rss_after_mib'], 1)} | {fmt(s['rss_peak_mib'], 1)} | {', '.join(str(c) for c in s['exit_codes'])} |")
    L.append("")

    full = summary.get("amb-aot-full")
    bare = summary.get("amb-aot-bare")
    if full:
        L.append("Targets (Ambassador AOT, all policies on):")
        L.append("")
        L.append("| target | goal | measured | met |")
        L.append("|---|---|---:|---|")

        def row(what, goal, value, ok):
            L.append(f"| {what} | {goal} | {value} | {'n/a' if ok is None else ('yes' if ok else '**no**')} |")

        row("first proxied request after start", "≤ 100 ms", f"{fmt(full.get('startup_ms'), 1)} ms", full.get("startup_ms") is not None and full["startup_ms"] <= 100)
        wr = full.get("warmup_ratio", [])
        w2 = wr[1] if len(wr) > 1 else (wr[0] if wr else None)
        row("throughput in the 2nd second after start", "≥ 90 % of steady", fmt(w2 * 100 if w2 is not None else None, 0, " %"), None if w2 is None else w2 >= 0.9)
        row("idle RSS", "≤ 40 MiB", f"{fmt(full.get('rss_idle_mib'), 1)} MiB", full.get("rss_idle_mib") is not None and full["rss_idle_mib"] <= 40)
        row("peak RSS", "≤ 64 MiB", f"{fmt(full.get('rss_peak_mib'), 1)} MiB", full.get("rss_peak_mib") is not None and full["rss_peak_mib"] <= 64)
        rn = full.get("c32.rps") / nginx["c32.rps"] if nginx.get("c32.rps") and full.get("c32.rps") else None
        row("throughput at 32 connections vs nginx", "≥ 0.6×", fmt(rn, 2, "×"), None if rn is None else rn >= 0.6)
        rb = full.get("c32.rps") / bare["c32.rps"] if bare and bare.get("c32.rps") and full.get("c32.rps") else None
        row("throughput at 32 connections vs Ambassador bare", "≥ 0.9×", fmt(rb, 2, "×"), None if rb is None else rb >= 0.9)
        a50 = full["fixed.p50"] - direct["fixed.p50"] if direct.get("fixed.p50") is not None and full.get("fixed.p50") is not None else None
        a99 = full["fixed.p99"] - direct["fixed.p99"] if direct.get("fixed.p99") is not None and full.get("fixed.p99") is not None else None
        row(f"added p50 at {cfg.rate} req/s", "≤ +0.1 ms", fmt(a50, 3, " ms"), None if a50 is None else a50 <= 0.1)
        row(f"added p99 at {cfg.rate} req/s", "≤ +0.3 ms", fmt(a99, 3, " ms"), None if a99 is None else a99 <= 0.3)
        L.append("")
    yarp = summary.get("yarp-minimal")
    if full and yarp:
        L.extend(reference_report(cfg, summary, full, yarp))
    L.extend(traffic_cost_report(summary))
    if meta.get("otlp_received"):
        L.append(f"Local OTLP receiver (bench.py, on the load core): {meta['otlp_received']}.")
        L.append("")
    return "\n".join(L)


def reference_report(cfg, summary: dict, full: dict, yarp: dict) -> list[str]:
    L: list[str] = []

    def r(a, b):
        return a / b if a is not None and b else None

    def ok(v, pred):
        return "n/a" if v is None else ("yes" if pred(v) else "**no**")

    paired = summary.get("paired", {})
    pf, po = paired.get("amb-aot-full", {}), paired.get("amb-otlp-1", {})
    L.append("Targets against YARP alone (Ambassador AOT, all policies, metrics on, sampling 0; YARP alone built the same way, "
             "same GC settings). Two measurements of each ratio: **fresh processes**, the rounds above (each target started "
             "anew per round, minutes apart from the other; ratio of the medians), and **steady state, paired**: the "
             f"processes running together, warmed up, their {cfg.duration}-s loads alternating round by round "
             f"({pf.get('rounds', 0)} rounds; median of the per-round ratios), which cancels the drift of a shared machine. "
             "`met` reads the paired figure when there is one. Bytes per request: `GC.GetTotalAllocatedBytes` read from "
             "`/admin/memory` of each process before and after the 32-connection load, divided by the requests of that load:")
    L.append("")
    L.append("| target | goal | fresh processes: Ambassador / YARP alone | ratio | steady state, paired: Ambassador / YARP alone (medians) | ratio: median of the rounds' (each round's) | met |")
    L.append("|---|---|---:|---:|---:|---:|---|")

    def row(what, goal, pred, key, amb, base, pair, nd=1, unit=" µs"):
        fresh = r(amb.get(key), base.get(key))
        steady = pair.get(key)
        rounds = ", ".join(f"{x:.2f}" for x in pair.get(key + ".per_round", []))
        paired_values = f"{fmt(pair.get(key + '.value'), nd)}{unit} / {fmt(pair.get(key + '.base'), nd)}{unit}" if steady is not None else "n/a"
        paired_ratio = f"{fmt(steady, 2, '×')} ({rounds})" if steady is not None else "n/a"
        L.append(f"| {what} | {goal} | {fmt(amb.get(key), nd)}{unit} / {fmt(base.get(key), nd)}{unit} | {fmt(fresh, 2, '×')} | "
                 f"{paired_values} | {paired_ratio} | {ok(steady if steady is not None else fresh, pred)} |")

    row("CPU per request, wrk 32 connections", "≤ 1.25×", lambda v: v <= 1.25, "c32.cpu_us_per_req", full, yarp, pf)
    row(f"CPU per request at {cfg.rate} req/s", "≤ 1.2×", lambda v: v <= 1.2, "fixed.cpu_us_per_req", full, yarp, pf)
    row("throughput, wrk 32 connections", "≥ 0.8×", lambda v: v >= 0.8, "c32.rps", full, yarp, pf, nd=0, unit="")
    fa, ya = full.get("c32.alloc_bytes_per_req"), yarp.get("c32.alloc_bytes_per_req")
    da = fa - ya if fa is not None and ya is not None else None
    L.append(f"| bytes allocated per request | ≤ YARP + 1 KiB | {fmt(fa)} B / {fmt(ya)} B | {fmt(da, 0, ' B', )} more | | | {ok(da, lambda v: v <= 1024)} |")
    o1 = summary.get("amb-otlp-1", {})
    row("CPU per request, every request exported over OTLP", "≤ 1.6×", lambda v: v <= 1.6, "c32.cpu_us_per_req", o1, yarp, po)
    L.append(f"| idle RSS | ≤ 40 MiB | {fmt(full.get('rss_idle_mib'), 1)} MiB / {fmt(yarp.get('rss_idle_mib'), 1)} MiB | | | | {ok(full.get('rss_idle_mib'), lambda v: v <= 40)} |")
    L.append(f"| peak RSS | ≤ 56 MiB | {fmt(full.get('rss_peak_mib'), 1)} MiB / {fmt(yarp.get('rss_peak_mib'), 1)} MiB | | | | {ok(full.get('rss_peak_mib'), lambda v: v <= 56)} |")
    L.append(f"| first proxied request after start | ≤ 80 ms | {fmt(full.get('startup_ms'), 1)} ms / {fmt(yarp.get('startup_ms'), 1)} ms | | | | {ok(full.get('startup_ms'), lambda v: v <= 80)} |")
    L.append("")
    dfull, dyarp = summary.get("amb-aot-full-defaultgc"), summary.get("yarp-minimal-defaultgc")
    if dfull and dyarp:
        L.append("The same ratios with the runtime's default GC settings for both processes (workstation, concurrent, no gen0 "
                 "budget cap: `" + " ".join(f"{k}={v}" for k, v in DEFAULT_GC_ENV.items()) + "`), against the built-in settings above:")
        L.append("")
        pd = paired.get("amb-aot-full-defaultgc", {})
        L.append("| target | goal | Ambassador | YARP alone | default GC, fresh | default GC, paired | same GC (above), fresh | same GC, paired |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|")
        for key, what, goal, nd in (("c32.cpu_us_per_req", "CPU per request, wrk 32 connections", "≤ 1.25×", 1),
                                    ("fixed.cpu_us_per_req", f"CPU per request at {cfg.rate} req/s", "≤ 1.2×", 1),
                                    ("c32.rps", "throughput, wrk 32 connections", "≥ 0.8×", 0)):
            unit = " µs" if "cpu" in key else ""
            L.append(f"| {what} | {goal} | {fmt(dfull.get(key), nd)}{unit} | {fmt(dyarp.get(key), nd)}{unit} | "
                     f"{fmt(r(dfull.get(key), dyarp.get(key)), 2, '×')} | {fmt(pd.get(key), 2, '×')} | "
                     f"{fmt(r(full.get(key), yarp.get(key)), 2, '×')} | {fmt(pf.get(key), 2, '×')} |")
        dfa, dya = dfull.get("c32.alloc_bytes_per_req"), dyarp.get("c32.alloc_bytes_per_req")
        L.append(f"| bytes allocated per request | ≤ YARP + 1 KiB | {fmt(dfa)} B | {fmt(dya)} B | "
                 f"{fmt(dfa - dya if dfa is not None and dya is not None else None)} B more | | {fmt(da)} B more | |")
        L.append(f"| peak RSS | ≤ 56 MiB | {fmt(dfull.get('rss_peak_mib'), 1)} MiB | {fmt(dyarp.get('rss_peak_mib'), 1)} MiB | | | | |")
        L.append("")
    L.append("Cost per feature (each switched by configuration, in the same run; µs of proxy CPU and bytes allocated per request; "
             "\"off\" rows: all policies minus the feature off, \"on\" rows: the feature on minus all policies):")
    L.append("")
    L.append("| feature | switched | CPU µs/req, 32 conns | CPU µs/req, fixed rate | bytes/req |")
    L.append("|---|---|---:|---:|---:|")

    def diff(a, b, key):
        x, y = a.get(key), b.get(key)
        return x - y if x is not None and y is not None else None

    for vname, feature, mode, _ in COST_VARIANTS:
        v = summary.get(vname)
        if not v:
            continue
        a, b = (full, v) if mode == "off" else (v, full)
        L.append(f"| {feature} | {COST_LABEL[vname]} | {fmt(diff(a, b, 'c32.cpu_us_per_req'), 1)} | {fmt(diff(a, b, 'fixed.cpu_us_per_req'), 1)} | {fmt(diff(a, b, 'c32.alloc_bytes_per_req'))} |")
    L.append(f"| everything else Ambassador adds over YARP alone (all policies minus YARP alone) | — | {fmt(diff(full, yarp, 'c32.cpu_us_per_req'), 1)} | {fmt(diff(full, yarp, 'fixed.cpu_us_per_req'), 1)} | {fmt(diff(full, yarp, 'c32.alloc_bytes_per_req'))} |")
    L.append("")
    return L


# --------------------------------------------------------------------------------------------


def tool_version(cmd: list[str], pattern: str) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        m = re.search(pattern, p.stdout + p.stderr)
        return m.group(1) if m else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def machine_meta() -> dict:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return {
        "cpu": cpu,
        "ncpu": os.cpu_count(),
        "mem": f"{mem_kib / MIB:.0f} GiB RAM",
        "kernel": f"{platform.system()} {platform.release()}",
        "nginx": tool_version(["nginx", "-v"], r"nginx/(\S+)"),
        "haproxy": tool_version(["haproxy", "-v"], r"version (\S+)"),
        "wrk": tool_version(["wrk", "-v"], r"^(wrk \S+)"),
        "h2load": tool_version(["h2load", "--version"], r"nghttp2/(\S+)"),
        "dotnet": tool_version(["dotnet", "--list-runtimes"], r"Microsoft.NETCore.App (\S+)"),
        "commit": tool_version(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], r"(\S+)"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--aot", type=Path, required=True, help="Ambassador Native AOT binary")
    ap.add_argument("--jit", type=Path, help="framework-dependent Ambassador.dll (omit to skip the JIT target)")
    ap.add_argument("--reference-yarp", type=Path,
                    help="bench/MinimalYarp published with Native AOT: YARP alone, the floor under Ambassador's own features")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=3, help="seconds per load")
    ap.add_argument("--warmup-buckets", type=int, default=5)
    ap.add_argument("--idle-wait", type=float, default=1.0)
    ap.add_argument("--rate", type=int, default=1000, help="fixed-rate latency test, req/s in total")
    ap.add_argument("--proxy-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--only", help="comma-separated target names")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--notes", default="")
    ap.add_argument("--pairs", type=int, default=8,
                    help="with --reference-yarp: rounds of the paired steady-state comparison (0: skip it)")
    ap.add_argument("--amb-env", action="append", default=[], metavar="KEY=VALUE",
                    help="extra environment for the Ambassador targets (tuning experiments)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE[,KEY=VALUE]",
                    help="one more 'AOT, all policies' target with extra environment, measured side by side "
                         "with the others (e.g. amb-inline:AMBASSADOR_X=1)")
    cfg = ap.parse_args()
    if cfg.smoke:
        cfg.rounds, cfg.duration, cfg.warmup_buckets, cfg.idle_wait, cfg.pairs = 1, 1, 1, 0.2, 1

    os.sched_setaffinity(0, {cfg.load_core})
    tmp = Path(tempfile.mkdtemp(prefix="ambassador-bench-"))
    (tmp / "tmp").mkdir()
    cfg.logdir = tmp
    log(f"work dir {tmp}")

    up_port, up_h2c = free_port(), free_port()
    upstream = Target("upstream", "upstream", up_port, up_h2c,
                      ["nginx", "-p", str(tmp), "-c", str(render(HERE / "conf/nginx-upstream.conf", tmp / "nginx-upstream.conf", dir=tmp, port=up_port, h2c_port=up_h2c))],
                      stop_signal=signal.SIGQUIT)

    amb_env = dict(kv.split("=", 1) for kv in cfg.amb_env)

    def amb(name, label, exe: list[str], config: str, extra_env: dict | None = None):
        # h2c (prior knowledge) is served on the proxy port itself.
        port, admin = free_port(), free_port()
        conf = render(HERE / "conf" / config, tmp / f"{name}.json", upstream_port=up_port)
        # Configuration keys (A__B__C) of a variant go into its JSON file: the --config file is read after the
        # environment and the command line, so only there do they win over the file's own values.
        extra_env = dict(extra_env or {})
        keys = {k: extra_env.pop(k) for k in list(extra_env) if "__" in k and not k.startswith("DOTNET_")}
        if keys:
            doc = json.loads(conf.read_text())
            for key, value in keys.items():
                node = doc
                *parents, leaf = key.split("__")
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
            conf.write_text(json.dumps(doc, indent=1))
        cmd = [*exe, "--config", str(conf),
               f"--Ambassador:Listeners:Proxy=http://127.0.0.1:{port}",
               f"--Ambassador:Listeners:Admin=http://127.0.0.1:{admin}"]
        # The content root is the work directory, so the appsettings.json example shipped beside the
        # binary does not add its own route; logging stays at the defaults embedded in the host.
        return Target(name, label, port, port, cmd, cwd=tmp, env={**amb_env, **(extra_env or {})},
                      expect_exit_zero=True, extra_ports=[admin], admin_port=admin)

    targets: list[Target] = [Target("direct", "direct → upstream", up_port, up_h2c, None)]
    aot = cfg.aot.resolve()
    targets.append(amb("amb-aot-full", "Ambassador AOT, all policies", [str(aot)], "ambassador-full.json"))
    targets.append(amb("amb-aot-bare", "Ambassador AOT, bare", [str(aot)], "ambassador-bare.json"))
    for variant in cfg.variant:
        vname, _, venv = variant.partition(":")
        extra = dict(kv.split("=", 1) for kv in venv.split(",") if kv)
        targets.append(amb(vname, f"Ambassador AOT, all policies, {venv}", [str(aot)], "ambassador-full.json", extra))
    if cfg.jit:
        jit = cfg.jit.resolve()
        targets.append(amb("amb-jit-full", "Ambassador JIT, all policies", ["dotnet", str(jit)], "ambassador-full.json"))
    otlp = None
    if cfg.reference_yarp:
        port, admin = free_port(), free_port()
        targets.append(Target("yarp-minimal", "YARP alone, AOT (reference floor)", port, None,
                              [str(cfg.reference_yarp.resolve()), f"--Listen=http://127.0.0.1:{port}",
                               f"--Upstream=http://127.0.0.1:{up_port}/", f"--Admin=http://127.0.0.1:{admin}"],
                              cwd=tmp, expect_exit_zero=True, extra_ports=[admin], admin_port=admin))
        # The same pair with the runtime's default GC settings (both processes alike).
        port, admin = free_port(), free_port()
        targets.append(Target("yarp-minimal-defaultgc", "YARP alone, AOT, runtime's default GC settings", port, None,
                              [str(cfg.reference_yarp.resolve()), f"--Listen=http://127.0.0.1:{port}",
                               f"--Upstream=http://127.0.0.1:{up_port}/", f"--Admin=http://127.0.0.1:{admin}"],
                              cwd=tmp, env=DEFAULT_GC_ENV, expect_exit_zero=True, extra_ports=[admin], admin_port=admin))
        targets.append(amb("amb-aot-full-defaultgc", "Ambassador AOT, all policies, runtime's default GC settings", [str(aot)],
                           "ambassador-full.json", dict(DEFAULT_GC_ENV)))
        # The cost table: the full configuration with one feature switched by configuration, side by side.
        otlp_port = free_port()
        otlp = OtlpReceiver(otlp_port)
        otlp_env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp_port}", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
        for vname, _, _, venv in COST_VARIANTS:
            extra = {k: v for k, v in venv.items()}
            if extra.pop("otlp", None):
                extra.update(otlp_env)
            targets.append(amb(vname, f"Ambassador AOT, all policies, {COST_LABEL[vname]}", [str(aot)], "ambassador-full.json", extra))
        # Traffic control: limits and PeakEwma, each against the same configuration without it.
        for vname, vlabel, venv in TRAFFIC_VARIANTS:
            extra = {k: v.replace("$upstream_port", str(up_port)) for k, v in venv.items()}
            targets.append(amb(vname, vlabel, [str(aot)], "ambassador-full.json", extra))
    p, h = free_port(), free_port()
    targets.append(Target("nginx", "nginx as proxy", p, h,
                          ["nginx", "-p", str(tmp), "-c", str(render(HERE / "conf/nginx-proxy.conf", tmp / "nginx-proxy.conf", dir=tmp, port=p, h2c_port=h, upstream_port=up_port))],
                          stop_signal=signal.SIGQUIT))
    p, h = free_port(), free_port()
    targets.append(Target("haproxy", "HAProxy as proxy", p, h,
                          ["haproxy", "-db", "-f", str(render(HERE / "conf/haproxy.cfg", tmp / "haproxy.cfg", port=p, h2c_port=h, upstream_port=up_port))],
                          stop_signal=signal.SIGUSR1))
    if cfg.only:
        keep = set(cfg.only.split(",")) | {"direct"}
        targets = [t for t in targets if t.name in keep]

    meta = machine_meta()
    meta["when"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    meta["notes"] = cfg.notes

    load = Load(cfg.load_core, tmp)
    results: dict[str, list[dict]] = {t.name: [] for t in targets}
    paired: dict[str, list[dict]] = {}
    started = time.monotonic()
    upstream.start(cfg.proxy_core, tmp)
    try:
        upstream.wait_first_proxied()
        cfg.upstream_pids = upstream.pids()
        for rnd in range(cfg.rounds):
            order = targets[rnd % len(targets):] + targets[: rnd % len(targets)]
            for t in order:
                log(f"round {rnd + 1}/{cfg.rounds}: {t.name}")
                try:
                    results[t.name].append(measure(t, load, cfg))
                finally:
                    if t.proc is not None:
                        t.stop()
        pair_targets = [t for name in PAIRED for t in targets if t.name == name]
        if cfg.pairs > 0 and any(t.name in PAIRED_BASE for t in pair_targets):
            paired = measure_paired(pair_targets, load, cfg)
    finally:
        upstream.stop()
        if otlp is not None:
            otlp.stop()
            meta["otlp_received"] = f"{otlp.received[0]} export requests, {otlp.received[1]:,} bytes"
    meta["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())

    summary = summarize(results)
    summary["paired"] = summarize_paired(paired)
    text = report(cfg, targets, summary, meta)
    text += f"\nTotal benchmark time: {time.monotonic() - started:.0f} s. Raw results: `{cfg.out.name}/{{timestamp}}.json`.\n"
    cfg.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ("-smoke" if cfg.smoke else "")
    (cfg.out / f"{stamp}.md").write_text(text)
    (cfg.out / f"{stamp}.json").write_text(json.dumps({"meta": meta, "rounds": results, "paired": paired, "summary": summary}, indent=1, default=str))
    print(text)
    log(f"wrote {cfg.out / (stamp + '.md')}")

    bad = [f"{n}: exit codes {s['exit_codes']}" for n, s in summary.items()
           if n.startswith("amb-") and any(c != 0 for c in s.get("exit_codes", []))]
    errs = [n for n, s in summary.items() if any(s.get(f"{l}.errors", 0) for l in ("c1", "c32", "fixed", "h2c"))]
    if bad:
        log("Ambassador did not exit 0 on SIGTERM: " + "; ".join(bad))
    if errs:
        log("targets with failed requests: " + ", ".join(errs))
    shutil.rmtree(tmp, ignore_errors=True) if not (bad or errs) else log(f"logs kept in {tmp}")
    return 1 if (bad or errs) else 0


if __name__ == "__main__":
    sys.exit(main())
