#!/usr/bin/env python3
"""A bounded load test of `localist serve` (docs/serve.md): C concurrent clients, each sending R
completion requests one after another on loopback; prints the errors, the throughput and the
latency percentiles as one JSON line. Standard library only (one HTTP connection per request).

  serve_load.py URL [--clients 32] [--requests 50] [--max-tokens 32] [--explain] [--api-key K]
"""
import argparse
import json
import statistics
import threading
import time
import urllib.error
import urllib.request


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--prompt", default="ROMEO:")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--api-key", default="")
    a = ap.parse_args()
    latencies, errors, tokens = [], [], []
    lock = threading.Lock()

    def client(c):
        for i in range(a.requests):
            body = {"prompt": a.prompt, "max_tokens": a.max_tokens, "temperature": 0.8,
                    "seed": c * a.requests + i, "explain": a.explain}
            req = urllib.request.Request(a.url.rstrip("/") + "/v1/completions", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
            if a.api_key:
                req.add_header("Authorization", "Bearer " + a.api_key)
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=600) as r:
                    out = json.load(r)
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    tokens.append(out["usage"]["completion_tokens"])
            except (urllib.error.URLError, OSError, ValueError) as e:
                with lock:
                    errors.append(str(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    print(json.dumps({
        "clients": a.clients, "requests": a.clients * a.requests, "errors": len(errors),
        "first_error": errors[0] if errors else None, "explain": a.explain, "wall_s": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 2), "tokens_per_s": round(sum(tokens) / wall, 1),
        "latency_ms": {"p50": round(1000 * percentile(latencies, 0.5), 1),
                       "p90": round(1000 * percentile(latencies, 0.9), 1),
                       "p99": round(1000 * percentile(latencies, 0.99), 1),
                       "max": round(1000 * max(latencies), 1) if latencies else None,
                       "mean": round(1000 * statistics.mean(latencies), 1) if latencies else None}}))


if __name__ == "__main__":
    main()
