"""Hostile requests against a running `localist serve` over raw sockets (tests/serve/test_serve_cli.cpp;
docs/reliability.md): deep nesting in every field, NaN/Infinity, numbers out of range, wrong
types, invalid UTF-8 and lone surrogates, empty/array/oversized bodies, path-like rules names,
a body trickled byte by byte and headers never finished. Each must be answered 4xx (or the
connection closed by the server's read timeout), and the server must serve others throughout.
Usage: hostile_client.py HOST PORT MAX_BODY_BYTES. Prints one line per case, then "ok"."""
import json
import socket
import sys
import threading
import time

host, port, max_body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
FIELDS = ["prompt", "max_tokens", "temperature", "top_k", "seed", "stop", "stream", "n", "user", "lambda", "kappa",
          "rules", "explain", "logprobs", "echo", "top_p", "logit_bias", "best_of", "suffix", "response_format",
          "model", "no_such_field"]


def exchange(raw, timeout=30.0):
    """Sends raw bytes, returns (status or None if closed without a response, body)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(raw)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not data:
        return None, b""
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def post(path, body, extra=b""):
    if isinstance(body, str):
        body = body.encode()
    return exchange(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"Content-Type: application/json\r\n" + extra +
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def alive():
    status, body = post("/v1/completions", json.dumps({"prompt": "a1", "max_tokens": 2, "seed": 1}))
    assert status == 200, (status, body[:300])


def refused(name, status, body, allowed=(400, 404, 413)):
    assert status in allowed, f"{name}: got {status} {body[:300]!r}"
    if status is not None:
        assert json.loads(body)["error"]["message"], name
    print(f"{name}: {status}")


deep = 100_000
for field in FIELDS:
    for label, value in [("array", "[" * deep + "]" * deep), ("object", '{"a":' * 40_000 + "1" + "}" * 40_000)]:
        body = '{"prompt":"a1","' + field + '":' + value + "}"
        if len(body) <= max_body:
            refused(f"nested {label} in {field}", *post("/v1/completions", body))
    for wrong in ['"x"', "[]", "{}", "true", "-1", "1e400", "-1e400", "18446744073709551616", "NaN", "Infinity",
                  '"\\ud800"']:
        status, body = post("/v1/completions", '{"prompt":"a1","' + field + '":' + wrong + "}")
        # a wrong value is refused; a few are OpenAI's neutral defaults or acceptable strings
        assert status in (200, 400, 404), (field, wrong, status, body[:300])
alive()
for name, body in [
        ("NaN literal", '{"prompt":"a1","temperature":NaN}'),
        ("Infinity literal", '{"prompt":"a1","lambda":Infinity}'),
        ("number out of double range", '{"prompt":"a1","temperature":1e999}'),
        ("invalid UTF-8", b'{"prompt":"\xff\xfe\xc0\x80"}'),
        ("overlong UTF-8", b'{"prompt":"\xc1\xbf"}'),
        ("lone high surrogate", '{"prompt":"a\\ud800b"}'),
        ("lone low surrogate", '{"prompt":"\\udc00"}'),
        ("empty body", ""),
        ("array body", "[1,2,3]"),
        ("string body", '"prompt"'),
        ("truncated body", '{"prompt":"a1",'),
        ("two objects", '{"prompt":"a1"}{"prompt":"a2"}'),
        ("path-like rules name", '{"prompt":"a1","rules":"../../../etc/passwd"}'),
        ("absolute rules path", '{"prompt":"a1","rules":"/etc/passwd"}'),
        ("NUL in rules name", '{"prompt":"a1","rules":"default\\u0000x"}'),
        ("token id out of range", '{"prompt":[1,2,99999999]}'),
        ("negative token id", '{"prompt":[-1]}'),
        ("nested chat content", '{"messages":[{"role":"user","content":' + "[" * deep + "]" * deep + "}]}"),
]:
    path = "/v1/chat/completions" if name.startswith("nested chat") else "/v1/completions"
    refused(name, *post(path, body))
refused("oversized body", *post("/v1/completions", '{"prompt":"' + "a" * (max_body + 10) + '"}'), allowed=(413, None))
refused("nested tokenize", *post("/tokenize", '{"prompt":' + "[" * deep + "]" * deep + "}"))
refused("nested detokenize", *post("/detokenize", '{"tokens":' + "[" * deep + "]" * deep + "}"))
alive()

# slow clients: one trickles a small body a byte at a time (each byte within the read timeout),
# one sends headers and never finishes them; others are served meanwhile
results = {}


def trickle():
    body = json.dumps({"prompt": "a1", "max_tokens": 1, "lambda": 9}).encode()
    head = (b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    with socket.create_connection((host, port), timeout=60) as s:
        for b in head + body:
            s.sendall(bytes([b]))
            time.sleep(0.05)
        results["trickle"] = s.recv(65536).split(b" ")[1]


def unfinished():
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Len")
        start = time.time()
        try:
            data = s.recv(65536)
        except ConnectionResetError:
            data = b""
        results["unfinished"] = (data, time.time() - start)


threads = [threading.Thread(target=trickle), threading.Thread(target=unfinished)]
for t in threads:
    t.start()
time.sleep(1)
for _ in range(3):
    alive()  # served while both slow clients hold their connections
for t in threads:
    t.join(timeout=90)
assert results.get("trickle") == b"400", results  # read whole, then refused naming lambda
data, waited = results["unfinished"]
assert data == b"" or data.split(b" ")[1] in (b"400", b"408"), data[:200]  # closed by the read timeout
print(f"byte-by-byte body: {results['trickle'].decode()}; unfinished headers: closed after {waited:.1f} s")
alive()
print("ok")
