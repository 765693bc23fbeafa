#!/usr/bin/env python3
"""Where a proxied request's CPU goes: Ambassador (AOT, all policies) next to YARP alone (bench/MinimalYarp).

Started by bench/profile.sh, which installs perf and publishes both binaries with their symbols. Each proxy
runs pinned to one core beside the nginx upstream, under wrk at 32 connections on the other core; `perf record`
samples the proxy's threads (cpu-clock, call graphs), and every sample is charged to the component of the
function it was in (the leaf frame: self time). Prints µs of CPU per request by component for both, and the
difference, which is what Ambassador's own features cost. Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import HERE, Load, Target, context_switches, cpu_ticks, free_port, log, render  # noqa: E402

FREQUENCY = 2000  # samples per second of CPU

# First match wins: (component, prefix of the native symbol Native AOT gives the function).
COMPONENTS = [
    ("GC", ("WKS::", "SVR::")),
    ("runtime helpers (allocation, write barriers, interface dispatch)", ("Rhp", "Rh")),
    ("CoreLib: casts, generic virtual lookups", ("S_P_CoreLib_System_Runtime",)),
    ("CoreLib: threading, tasks, thread pool", ("S_P_CoreLib_System_Threading",)),
    ("CoreLib: other", ("S_P_CoreLib",)),
    ("OpenTelemetry SDK", ("OpenTelemetry",)),
    ("System.Diagnostics (Activity, Meter)", ("System_Diagnostics",)),
    ("Polly", ("Polly",)),
    ("Ambassador", ("Ambassador",)),
    ("YARP", ("Yarp",)),
    ("Kestrel", ("Microsoft_AspNetCore_Server_Kestrel",)),
    ("ASP.NET Core: hosting, routing, HTTP abstractions", ("Microsoft_AspNetCore",)),
    ("HttpClient (SocketsHttpHandler)", ("System_Net_Http",)),
    ("System.Net.Sockets", ("System_Net_Sockets",)),
    ("System.IO.Pipelines", ("System_IO_Pipelines",)),
    ("collections", ("System_Collections", "S_P_Collections")),
    ("Uri", ("S_P_Uri", "System_Private_Uri")),
    ("Microsoft.Extensions (logging, options, DI)", ("Microsoft_Extensions",)),
    ("libc (syscall wrappers, memset/memcpy)", ("__", "epoll_", "libc")),
]
KERNEL = "kernel (TCP loopback, epoll, scheduler)"


def component(symbol: str) -> str:
    for name, prefixes in COMPONENTS:
        if symbol.startswith(prefixes):
            return name
    if symbol.startswith("[unknown]"):
        return "unknown"
    return KERNEL


def leaf_symbols(script: str):
    """Yields the leaf (innermost) frame's symbol of every sample of `perf script -F comm,tid,ip,sym` output."""
    expect_leaf = False
    for line in script.splitlines():
        if not line.strip():
            expect_leaf = False
            continue
        if not line[0].isspace():
            expect_leaf = True
            continue
        if expect_leaf:
            parts = line.split(None, 1)
            yield parts[1] if len(parts) > 1 else "[unknown]"
            expect_leaf = False


def profile(target: Target, load: Load, url: str, seconds: int, logdir: Path, rate: int | None) -> dict:
    target.start(0, logdir)
    target.wait_first_proxied()
    load.wrk(url, 32, 3)  # warm
    pid = target.proc.pid
    data = logdir / f"{target.name}.perf"
    before_cpu, before_cs = cpu_ticks([pid]), context_switches([pid])
    if rate is None:
        cmd = ["wrk", "-t1", "-c32", f"-d{seconds + 2}s", url]
    else:
        # The same fixed-rate load as bench.py's: HTTP/1.1 over 4 connections (h2load's rate is per connection).
        cmd = ["h2load", "--h1", "-c", "4", "--rps", str(rate // 4), "-D", str(seconds + 2), url]
    client = subprocess.Popen(["taskset", "-c", str(load.core), *cmd], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    subprocess.run(["perf", "record", "-F", str(FREQUENCY), "-g", "-p", str(pid), "-o", str(data), "--", "sleep", str(seconds)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out, _ = client.communicate()
    after_cpu, after_cs = cpu_ticks([pid]), context_switches([pid])
    target.stop()
    if rate is None:
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    else:
        requests = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", out).group(1))
        rps = float(re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out).group(1))
    script = subprocess.run(["perf", "script", "-i", str(data), "-F", "comm,tid,ip,sym"], capture_output=True, text=True).stdout
    symbols = collections.Counter(leaf_symbols(script))
    counts = collections.Counter()
    for symbol, n in symbols.items():
        counts[component(symbol)] += n
    # Samples during `seconds` at `rps`: each sample is 1/FREQUENCY s of CPU.
    per_request = {k: v * 1e6 / FREQUENCY / (rps * seconds) for k, v in counts.items()}
    return {
        "rps": rps,
        "cpu_us": (after_cpu - before_cpu) * 1e6 / os.sysconf("SC_CLK_TCK") / requests,
        "ctxsw": (after_cs - before_cs) / requests,
        "components": per_request,
        "symbols": {k: v * 1e6 / FREQUENCY / (rps * seconds) for k, v in symbols.items()},
        "samples": sum(counts.values()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--aot", type=Path, required=True, help="Ambassador Native AOT binary, with symbols")
    ap.add_argument("--reference-yarp", type=Path, required=True, help="bench/MinimalYarp Native AOT binary, with symbols")
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--rate", type=int, help="a fixed total rate in requests/s (h2load) instead of wrk at 32 connections")
    ap.add_argument("--symbols", type=int, default=0, help="also list the N symbols whose self time differs most")
    cfg = ap.parse_args()

    os.sched_setaffinity(0, {1})
    tmp = Path(tempfile.mkdtemp(prefix="ambassador-profile-"))
    (tmp / "tmp").mkdir()
    up_port, up_h2c = free_port(), free_port()
    upstream = subprocess.Popen(
        ["taskset", "-c", "0", "nginx", "-p", str(tmp), "-c",
         str(render(HERE / "conf/nginx-upstream.conf", tmp / "nginx-upstream.conf", dir=tmp, port=up_port, h2c_port=up_h2c))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port, admin = free_port(), free_port()
        conf = render(HERE / "conf/ambassador-full.json", tmp / "ambassador-full.json", upstream_port=up_port)
        amb = Target("ambassador", "Ambassador AOT, all policies", port, None,
                     [str(cfg.aot.resolve()), "--config", str(conf), f"--Ambassador:Listeners:Proxy=http://127.0.0.1:{port}",
                      f"--Ambassador:Listeners:Admin=http://127.0.0.1:{admin}"], cwd=tmp)
        ref_port = free_port()
        ref = Target("yarp", "YARP alone, AOT", ref_port, None,
                     [str(cfg.reference_yarp.resolve()), f"--Listen=http://127.0.0.1:{ref_port}", f"--Upstream=http://127.0.0.1:{up_port}/"], cwd=tmp)
        load = Load(1, tmp)
        results = {}
        for target in (ref, amb):
            log(f"profiling {target.label}")
            results[target.name] = profile(target, load, f"http://127.0.0.1:{target.port}/", cfg.seconds, tmp, cfg.rate)
    finally:
        upstream.terminate()
        upstream.wait()

    a, r = results["ambassador"], results["yarp"]
    print("| component | YARP alone (µs/request) | Ambassador (µs/request) | difference |")
    print("|---|---:|---:|---:|")
    names = sorted(set(a["components"]) | set(r["components"]), key=lambda k: -a["components"].get(k, 0))
    for name in names:
        x, y = r["components"].get(name, 0.0), a["components"].get(name, 0.0)
        print(f"| {name} | {x:.1f} | {y:.1f} | {y - x:+.1f} |")
    print(f"| **total (perf samples)** | {sum(r['components'].values()):.1f} | {sum(a['components'].values()):.1f} | "
          f"{sum(a['components'].values()) - sum(r['components'].values()):+.1f} |")
    print()
    print("| | YARP alone | Ambassador |")
    print("|---|---:|---:|")
    load_name = f"h2load at {cfg.rate} req/s" if cfg.rate else "wrk 32 connections"
    print(f"| requests/s, {load_name} | {r['rps']:,.0f} | {a['rps']:,.0f} |")
    print(f"| CPU µs per request (/proc) | {r['cpu_us']:.1f} | {a['cpu_us']:.1f} |")
    print(f"| context switches per request | {r['ctxsw']:.2f} | {a['ctxsw']:.2f} |")
    if cfg.symbols:
        print()
        print("| function (self time) | YARP alone (µs/request) | Ambassador (µs/request) | difference |")
        print("|---|---:|---:|---:|")
        every = set(a["symbols"]) | set(r["symbols"])
        diff = {k: a["symbols"].get(k, 0.0) - r["symbols"].get(k, 0.0) for k in every}
        for name in sorted(every, key=lambda k: -abs(diff[k]))[: cfg.symbols]:
            print(f"| `{name[:110]}` | {r['symbols'].get(name, 0.0):.2f} | {a['symbols'].get(name, 0.0):.2f} | {diff[name]:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
