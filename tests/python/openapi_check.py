"""schemathesis against `localist serve` from the server's own GET /openapi.json
(tests/serve/test_serve_cli.cpp): property-based requests to every route, bounded in time and
reproducible by seed, loopback only. Every check but one must pass: no 5xx, every status and
content type documented, every response valid against its schema, every schema-violating request
refused. Left out: positive_data_acceptance, since a schema-valid body is not always servable (a
text prompt's token count is known only after tokenizing: longer than the context, or whitespace
that encodes to nothing, is a 400 naming the prompt); unsupported_method, since cpp-httplib
refuses a method it does not know (QUERY, ...) with 400 before it reads the path (every other
undeclared method on a route gets 405 with Allow: tests/serve/test_serve_cli.cpp).
Usage: openapi_check.py BASE_URL SECONDS. Prints schemathesis' summary, then "ok"."""
import subprocess
import sys
import tempfile

base, seconds = sys.argv[1], sys.argv[2]
# in a scratch directory: schemathesis keeps its crash cache (.schemathesis/) in the working one
with tempfile.TemporaryDirectory() as scratch:
    r = subprocess.run([sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()",
                        "--no-color", "run", base + "/openapi.json",
                        "--checks", "all", "--exclude-checks", "positive_data_acceptance,unsupported_method",
                        "--max-examples", "25", "--seed", "1", "--workers", "1", "--max-time", seconds],
                       capture_output=True, text=True, cwd=scratch)
out = r.stdout + r.stderr
print(out[out.find("SUMMARY") - 40:] if "SUMMARY" in out else out)
assert r.returncode == 0, out[-20000:]
print("ok")
