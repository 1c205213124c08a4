"""POST a JSON body with the standard library, as the test clients here do: (status, body bytes),
an HTTP error status returned rather than raised."""
import json
import urllib.error
import urllib.request


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
