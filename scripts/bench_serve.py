"""Bounded load test of `kdiscourse serve` on loopback: p50/p95 latency and documents/s with 1 and 8 clients.

Starts the server on 127.0.0.1 (a free port) in a subprocess, sends a fixed number of one-paragraph
`POST /tag` requests (and `POST /compare`), then stops the server. Nothing leaves this machine.

    python scripts/bench_serve.py                 # 60 requests per setting
    python scripts/bench_serve.py --requests 200 --pipeline actors
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

PARAGRAPH = ("미국 상무부는 중국의 첨단 AI 칩 확보를 막기 위해 수출통제 대상 품목을 넓혔고, 한국과 일본 정부는 "
             "자국 반도체 기업의 피해를 줄이려고 미국과 협의를 이어 가고 있다. 중국 외교부는 이 조치가 공급망 "
             "안정을 해친다며 반발했고, 업계는 장기적으로 중국의 기술 자립이 빨라질 수 있다고 본다.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, path: str, body: bytes) -> float:
    t0 = time.perf_counter()
    conn = HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"{path}: HTTP {resp.status}")
    return time.perf_counter() - t0


def run_setting(port: int, path: str, clients: int, n: int) -> dict:
    """Send ``n`` requests with ``clients`` concurrent connections; latency percentiles and throughput."""
    bodies = [json.dumps({"text": f"{i}. {PARAGRAPH}", "id": f"d{i}"}, ensure_ascii=False).encode()
              for i in range(n)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        lat = list(pool.map(lambda b: _post(port, path, b), bodies))
    wall = time.perf_counter() - t0
    lat.sort()
    return {"endpoint": path, "clients": clients, "requests": n, "p50_ms": round(1000 * statistics.median(lat), 1),
            "p95_ms": round(1000 * lat[max(0, int(0.95 * n) - 1)], 1), "docs_per_s": round(n / wall, 2)}


def main() -> int:
    """Start the server, run the settings, print a table (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=60, help="requests per setting (default 60)")
    ap.add_argument("--pipeline", default="default", help="pipeline configuration (default: default)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    port = _free_port()
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "nlp", "serve", "--port", str(port), "--pipeline", args.pipeline],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        ready = time.perf_counter() - t0
        results = [run_setting(port, path, clients, args.requests)
                   for path in ("/tag", "/compare") for clients in (1, 8)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        print(json.dumps({"startup_s": round(ready, 2), "results": results}, indent=1))
        return 0
    print(f"server ready (Kiwi and models loaded) after {ready:.2f} s; one-paragraph requests, {args.requests} each")
    print(f"{'endpoint':<10}{'clients':>8}{'p50 ms':>10}{'p95 ms':>10}{'docs/s':>10}")
    for r in results:
        print(f"{r['endpoint']:<10}{r['clients']:>8}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['docs_per_s']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
