#!/usr/bin/env python3
"""The bench's gRPC unary row: Ambassador (Native AOT, all policies, gRPC retries on) next to YARP alone (bench/MinimalYarp
with --H2c=true), same machine, same run, against one Grpc.AspNetCore echo upstream (bench/GrpcEcho).

Started by bench/run.sh --grpc. The load is h2load over HTTP/2 cleartext with a gRPC-framed request (the 5-byte prefix:
compressed flag 0 and the big-endian length, then the protobuf bytes of EchoRequest{payload: 20 bytes}),
`content-type: application/grpc` and `te: trailers`. h2load sees HTTP statuses only, not `grpc-status`, so every run is
checked against the upstream's own count of answered calls. Proxy and upstream are pinned to one core, h2load to the
other; the CPU figure is the proxy process's (utime + stime from /proc) over the requests h2load completed.
Targets alternate from round to round; medians are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the shared helpers: ports, /proc CPU, h2load parsing, process targets)

PATH = "/bench.Echo/Unary"
PAYLOAD = b"hello from the app.."  # 20 bytes, like the HTTP rows' body


def grpc_frame(payload: bytes) -> bytes:
    message = b"\x0a" + bytes([len(payload)]) + payload  # field 1 (bytes), length-delimited
    return b"\x00" + len(message).to_bytes(4, "big") + message


def h2c_get(port: int, path: str, timeout: float = 1.0) -> str | None:
    """GET over HTTP/2 with prior knowledge (the upstream speaks nothing else); None when it does not answer 200."""
    p = subprocess.run(["curl", "-s", "-f", "--http2-prior-knowledge", "-m", str(timeout), f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def wait_ready(port: int, proc: subprocess.Popen | None, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} during start (see its log)")
        if h2c_get(port, "/calls") is not None:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name}: /calls not answered over h2c within {timeout}s")


def calls(up_port: int) -> int:
    text = h2c_get(up_port, "/calls")
    if text is None:
        raise RuntimeError("the echo upstream stopped answering /calls")
    return int(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aot", type=Path, required=True, help="Ambassador Native AOT binary")
    ap.add_argument("--yarp", type=Path, required=True, help="bench/MinimalYarp Native AOT binary")
    ap.add_argument("--echo", type=Path, required=True, help="bench/GrpcEcho binary")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=5, help="seconds per load")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of load before each measurement")
    ap.add_argument("--streams", type=int, default=32, help="concurrent streams on one connection (h2load -m)")
    ap.add_argument("--proxy-core", type=int, default=0)
    ap.add_argument("--load-core", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    cfg, _ = ap.parse_known_args()

    tmp = Path(tempfile.mkdtemp(prefix="amb-grpc-bench-"))
    payload = tmp / "unary.bin"
    payload.write_bytes(grpc_frame(PAYLOAD))
    up_port = bench.free_port()
    upstream = bench.Target("grpc-echo", "Grpc.AspNetCore echo", up_port, None,
                            [str(cfg.echo.resolve()), f"--Port={up_port}"], cwd=tmp)

    def ambassador() -> bench.Target:
        port, admin = bench.free_port(), bench.free_port()
        conf = bench.render(HERE / "conf/ambassador-grpc.json", tmp / "ambassador-grpc.json", upstream_port=up_port)
        return bench.Target("amb-aot-grpc", "Ambassador AOT, all policies (gRPC retries on)", port, port,
                            [str(cfg.aot.resolve()), "--config", str(conf),
                             f"--Ambassador:Listeners:Proxy=http://127.0.0.1:{port}",
                             f"--Ambassador:Listeners:Admin=http://127.0.0.1:{admin}"],
                            cwd=tmp, expect_exit_zero=True, extra_ports=[admin])

    def yarp() -> bench.Target:
        port = bench.free_port()
        return bench.Target("yarp-minimal-grpc", "YARP alone, AOT, h2c", port, port,
                            [str(cfg.yarp.resolve()), f"--Listen=http://127.0.0.1:{port}",
                             f"--Upstream=http://127.0.0.1:{up_port}/", "--H2c=true"],
                            cwd=tmp, expect_exit_zero=True)

    targets = [ambassador(), yarp()]
    load = bench.Load(cfg.load_core, tmp)
    h2args = ["-c", "1", "-m", str(cfg.streams), "-d", str(payload),
              "-H", "content-type: application/grpc", "-H", "te: trailers"]
    results: dict[str, list[dict]] = {t.name: [] for t in targets}
    upstream.start(cfg.proxy_core, tmp)
    try:
        wait_ready(up_port, upstream.proc, upstream.name)
        for rnd in range(cfg.rounds):
            order = targets if rnd % 2 == 0 else list(reversed(targets))
            for target in order:
                target.start(cfg.proxy_core, tmp)
                try:
                    wait_ready(target.port, target.proc, target.name)
                    url = f"http://127.0.0.1:{target.port}{PATH}"
                    load.h2load(url, h2args, cfg.warmup)
                    pids = target.pids()
                    answered = calls(up_port)
                    before = bench.cpu_ticks(pids)
                    r = load.h2load(url, h2args, cfg.duration)
                    after = bench.cpu_ticks(pids)
                    r["upstream_calls"] = calls(up_port) - answered
                    r["cpu_us_per_req"] = (after - before) * 1e6 / bench.CLK_TCK / r["requests"] if r["requests"] else None
                    bench.log(f"round {rnd + 1} {target.name}: {r['rps']:.0f} req/s, "
                              f"{r['cpu_us_per_req']:.1f} CPU µs/req, p50 {r['p50']} ms, p99 {r['p99']} ms, "
                              f"{r['errors']} errors, upstream answered {r['upstream_calls']} of {r['requests']}")
                    results[target.name].append(r)
                finally:
                    target.stop()
    finally:
        upstream.stop()

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    amb, ref = targets[0].name, targets[1].name
    lines = [
        f"# gRPC unary row, {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"h2load -c 1 -m {cfg.streams}, {cfg.duration} s per round after {cfg.warmup} s of warm-up, {cfg.rounds} rounds "
        f"(medians); unary `{PATH}` with a 20-byte payload; proxy and upstream on core {cfg.proxy_core}, h2load on core "
        f"{cfg.load_core}.",
        "",
        "| target | req/s | CPU µs/request | p50 ms | p99 ms | errors | upstream answered |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in targets:
        rs = results[t.name]
        lines.append(f"| {t.label} | {med(t.name, 'rps'):,.0f} | {med(t.name, 'cpu_us_per_req'):.1f} | "
                     f"{med(t.name, 'p50'):.2f} | {med(t.name, 'p99'):.2f} | {sum(r['errors'] for r in rs)} | "
                     f"{sum(r['upstream_calls'] for r in rs)} of {sum(r['requests'] for r in rs)} |")
    lines += ["", f"Ambassador / YARP alone: {med(amb, 'rps') / med(ref, 'rps'):.2f}× the req/s, "
                  f"{med(amb, 'cpu_us_per_req') / med(ref, 'cpu_us_per_req'):.2f}× the CPU per request."]
    text = "\n".join(lines) + "\n"
    cfg.out.mkdir(parents=True, exist_ok=True)
    out = cfg.out / f"grpc-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.md"
    out.write_text(text)
    print(text)
    # Streams in flight when h2load stops may still reach the upstream: up to -m of them per run.
    bad = any(r["errors"] or abs(r["upstream_calls"] - r["requests"]) > cfg.streams for rs in results.values() for r in rs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
