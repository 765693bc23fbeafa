#!/usr/bin/env python3
"""Helpers for bench/faults.sh (standard library only).

consul PORT STATE PID   a stand-in for Consul's /v1/health/service/<name> with blocking queries; the state file
                        holds JSON {"index": N, "instances": [[host, port], ...]} and is re-read on every query.
slow HOST PORT N SECS   N slow clients: each sends a request head one byte every 0.5 s, for SECS seconds.
framing HOST PORT       sends request-smuggling variants, each followed by a "/smuggled" request; prints how
                        many answers were not a 400 followed by a close.
"""
import json, os, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


def consul(port, state_file, pid_file):
    with open(pid_file, "w") as f:
        f.write(str(os.getpid()))
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            if not url.path.startswith("/v1/health/service/"):
                self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
            query = parse_qs(url.query)
            sent = int(query.get("index", ["0"])[0])
            deadline = time.time() + 2.0  # a short blocking wait keeps the suite quick
            while True:
                with open(state_file) as f:
                    state = json.load(f)
                if state["index"] != sent or time.time() >= deadline:
                    break
                time.sleep(0.05)
            name = url.path.rsplit("/", 1)[-1]
            body = json.dumps([
                {"Node": {"Node": "n%d" % i, "Address": host},
                 "Service": {"ID": "%s-%d" % (name, port_), "Service": name, "Address": host, "Port": port_},
                 "Checks": [{"Status": "passing"}]}
                for i, (host, port_) in enumerate(state["instances"])]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Consul-Index", str(state["index"]))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass  # the watcher gave up on this query (it is restarting or stopping)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def slow(host, port, n, secs):
    head = b"GET /api/slow HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 64 + b"\r\n\r\n"
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port))
        socks.append(s)
    end = time.time() + secs
    i = 0
    while time.time() < end:
        for s in socks:
            try:
                s.send(head[i % len(head):i % len(head) + 1])
            except OSError:
                pass
        i += 1
        time.sleep(0.5)
    for s in socks:
        s.close()


VARIANTS = [
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: +5\r\n\r\nhello",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: +0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: -0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: +53\r\n\r\n" + b"a" * 53,
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: 5, 6\r\n\r\nhello",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nX-A: a\nContent-Length: 5\r\n\r\nhello",
    b"POST /api/x HTTP/1.1\r\nHost: l\r\nX-F: a\r\n b\r\nContent-Length: 5\r\n\r\nhello",
    b"POST /api/x HTTP/1.0\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
]


def framing(host, port):
    bad = 0
    for v in VARIANTS:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(v + b"GET /api/smuggled HTTP/1.1\r\nHost: l\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        s.close()
        if not data.startswith(b"HTTP/1.1 400") or data.count(b"HTTP/1.1 ") != 1:
            bad += 1
    print(bad)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "consul":
        consul(int(args[0]), args[1], args[2])
    elif cmd == "slow":
        slow(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "framing":
        framing(args[0], int(args[1]))
