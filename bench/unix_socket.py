#!/usr/bin/env python3
"""The app's hop to its sidecar over TCP loopback vs over the proxy's Unix socket, side by side in one run.

One Ambassador (Native AOT, bench/conf/ambassador-full.json) listens on both at once: its TCP proxy port and
Ambassador:Listeners:ProxyUnixSocket. The same load client (bench/UnixSocketLoad: HttpClient over SocketsHttpHandler,
as an app calls its sidecar; one ConnectCallback for both transports) drives each in turn, alternating the order
every round, against one nginx upstream (that hop is TCP in both cases). The proxy and the upstream are pinned to
one core, the client to another. Per load: the proxy's CPU per request (utime+stime of its process from /proc over
the measured window), the client's own CPU per request, requests per second and latency percentiles; the report
shows the median over the rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def get(target: str) -> int | None:
    """Status of GET / through a tcp:<port> or unix:<path> target, or None when it does not answer."""
    family, _, where = target.partition(":")
    try:
        if family == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1)
            s.connect(where)
        else:
            s = socket.create_connection(("127.0.0.1", int(where.rsplit(":", 1)[1])), timeout=1)
        with s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = s.recv(64)
        return int(data.split()[1]) if data.startswith(b"HTTP/") else None
    except (OSError, ValueError, IndexError):
        return None


def until(what: str, condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.05)  # polling a starting process, bounded by the deadline


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aot", type=Path, required=True, help="Ambassador Native AOT binary")
    ap.add_argument("--client", type=Path, required=True, help="bench/UnixSocketLoad published (its .dll)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5, help="seconds per load")
    ap.add_argument("--connections", default="1,16", help="comma-separated connection counts")
    ap.add_argument("--proxy-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    cfg = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ambassador-uds-bench-"))
    (tmp / "tmp").mkdir()
    up_port, up_h2c, port, admin = free_port(), free_port(), free_port(), free_port()
    sock = tmp / "proxy.sock"
    nginx_conf = tmp / "nginx-upstream.conf"
    nginx_conf.write_text(Template((HERE / "conf/nginx-upstream.conf").read_text()).safe_substitute(dir=tmp, port=up_port, h2c_port=up_h2c))
    amb_conf = tmp / "ambassador.json"
    amb_conf.write_text(Template((HERE / "conf/ambassador-full.json").read_text()).safe_substitute(upstream_port=up_port))
    logs = open(tmp / "processes.log", "ab")
    pin = lambda core, cmd: ["taskset", "-c", str(core), *cmd]  # noqa: E731
    upstream = subprocess.Popen(pin(cfg.proxy_core, ["nginx", "-p", str(tmp), "-c", str(nginx_conf)]), stdout=logs, stderr=subprocess.STDOUT)
    proxy = subprocess.Popen(pin(cfg.proxy_core, [
        str(cfg.aot.resolve()), "--config", str(amb_conf),
        f"--Ambassador:Listeners:Proxy=http://127.0.0.1:{port}",
        f"--Ambassador:Listeners:Admin=http://127.0.0.1:{admin}",
        f"--Ambassador:Listeners:ProxyUnixSocket={sock}",
    ]), cwd=tmp, stdin=subprocess.DEVNULL, stdout=logs, stderr=subprocess.STDOUT)
    targets = {"TCP loopback": f"tcp:127.0.0.1:{port}", "Unix socket": f"unix:{sock}"}
    results: dict[tuple[str, int], list[dict]] = {}
    rc = 0
    try:
        for name, target in targets.items():
            until(f"a proxied 200 over {name}", lambda t=target: get(t) == 200)

        def load(target: str, connections: int, seconds: float) -> dict:
            out = subprocess.run(pin(cfg.load_core, ["dotnet", str(cfg.client), target, str(connections), str(seconds)]),
                                 check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
            return json.loads(out.strip().splitlines()[-1])

        # Warm-up: the proxy's pools and the client's JIT, on both transports.
        for target in targets.values():
            load(target, 16, 2)
        conns = [int(c) for c in cfg.connections.split(",")]
        for r in range(cfg.rounds):
            order = list(targets.items()) if r % 2 == 0 else list(reversed(targets.items()))
            for connections in conns:
                for name, target in order:
                    before = cpu_ticks(proxy.pid)
                    res = load(target, connections, cfg.duration)
                    after = cpu_ticks(proxy.pid)
                    res["proxy_cpu_us_per_req"] = (after - before) * 1e6 / CLK_TCK / res["requests"] if res["requests"] else None
                    results.setdefault((name, connections), []).append(res)
                    print(f"[unix_socket.py] round {r + 1} {name} c={connections}: {res}", flush=True)
    finally:
        proxy.send_signal(signal.SIGTERM)
        try:
            rc = proxy.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proxy.kill()
            rc = proxy.wait()
        upstream.send_signal(signal.SIGQUIT)
        upstream.wait(timeout=20)
        logs.close()

    def med(rows: list[dict], key: str) -> float:
        values = [r[key] for r in rows if r.get(key) is not None]
        return statistics.median(values) if values else float("nan")

    lines = [
        f"# The app's hop: TCP loopback vs Unix socket ({datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC)",
        "",
        f"One Ambassador AOT process (bench/conf/ambassador-full.json) serving both listeners; client bench/UnixSocketLoad "
        f"(HttpClient, HTTP/1.1, closed loop) on core {cfg.load_core}, proxy + nginx upstream on core {cfg.proxy_core}; "
        f"{cfg.rounds} rounds × {cfg.duration:g} s per load, order alternating, medians. Proxy exit code after SIGTERM: {rc}.",
        "",
        "| connections | transport | req/s | p50 µs | p99 µs | proxy CPU µs/req | client CPU µs/req | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for connections in conns:
        for name in targets:
            rows = results.get((name, connections), [])
            lines.append(f"| {connections} | {name} | {med(rows, 'rps'):.0f} | {med(rows, 'p50_us'):.0f} | {med(rows, 'p99_us'):.0f} | "
                         f"{med(rows, 'proxy_cpu_us_per_req'):.1f} | {med(rows, 'client_cpu_us_per_req'):.1f} | {sum(r['errors'] for r in rows)} |")
    text = "\n".join(lines) + "\n"
    cfg.out.mkdir(parents=True, exist_ok=True)
    path = cfg.out / f"unix-socket-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.md"
    path.write_text(text)
    print(text)
    print(f"[unix_socket.py] written to {path}")
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
