"""GET /metrics of `localist serve` read by Prometheus' own parser (prometheus_client), after a
known set of requests (tests/serve/test_serve_cli.cpp): requests by route and status, tokens,
histograms whose counts match the tokens generated, gauges back at zero.
Usage: prometheus_metrics.py BASE_URL. Prints "ok"."""
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

import http_post

base = sys.argv[1]


def post(path, body):
    return http_post.post(base + path, body)


assert post("/v1/completions", {"prompt": "a1 b1", "max_tokens": 3, "seed": 1})[0] == 200
status, body = post("/v1/completions", {"prompt": "a1", "max_tokens": 2, "seed": 2, "stream": True})
assert status == 200 and body.rstrip().endswith(b"data: [DONE]"), body
assert post("/v1/completions", {"prompt": "a1", "lambda": 7})[0] == 400
assert post("/no/such/route", {})[0] == 404
assert post("/tokenize", {"prompt": "a1 b1"})[0] == 200


def scrape():
    with urllib.request.urlopen(base + "/metrics") as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        families = {f.name: f for f in text_string_to_metric_families(r.read().decode())}
    return families


def value(families, name, suffix="", **labels):
    for s in families[name].samples:
        if s.name == name + suffix and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


for _ in range(50):  # httplib counts a request once its response is written: let it land
    m = scrape()
    if value(m, "localist_requests", "_total", route="/tokenize", status="200") == 1:
        break
    time.sleep(0.05)
assert value(m, "localist_requests", "_total", route="/v1/completions", status="200") == 2, m["localist_requests"]
assert value(m, "localist_requests", "_total", route="/v1/completions", status="400") == 1
assert value(m, "localist_requests", "_total", route="other", status="404") == 1  # never the client's path
assert value(m, "localist_completion_tokens", "_total") == 5
assert value(m, "localist_prompt_tokens", "_total") == 3
assert value(m, "localist_time_to_first_token_seconds", "_count") == 2
assert value(m, "localist_time_per_output_token_seconds", "_count") == (3 - 1) + (2 - 1)
assert value(m, "localist_request_duration_seconds", "_count") == 2
for name in ("localist_time_to_first_token_seconds", "localist_request_duration_seconds"):
    buckets = [s for s in m[name].samples if s.name == name + "_bucket"]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts) and buckets[-1].labels["le"] == "+Inf", buckets
    assert counts[-1] == value(m, name, "_count") and value(m, name, "_sum") > 0
assert value(m, "localist_requests_running") == 0 and value(m, "localist_requests_waiting") == 0
print("ok")
