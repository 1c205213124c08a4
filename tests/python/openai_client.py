"""`localist serve` through the official OpenAI Python client (tests/serve/test_serve_cli.cpp).
Usage: openai_client.py BASE_URL MODEL API_KEY. Prints "ok" when every check holds."""
import sys

import openai

base, model, key = sys.argv[1:4]
client = openai.OpenAI(base_url=base, api_key=key, max_retries=0)

# completions: the dial and the audit travel as extra body fields, back in the response's "localist"
a = client.completions.create(model=model, prompt="a1 a2", max_tokens=6, seed=7, temperature=1.0,
                              extra_body={"lambda": 0.5, "explain": True})
b = client.completions.create(model=model, prompt="a1 a2", max_tokens=6, seed=7, temperature=1.0,
                              extra_body={"lambda": 0.5, "explain": True})
assert a.choices[0].text == b.choices[0].text, (a, b)  # the same seed, the same output
assert a.usage.completion_tokens == 6, a.usage
extra = a.model_extra["localist"]
assert extra["lambda"] == 0.5 and extra["seed"] == 7, extra
assert len(extra["explanation"]) == 6, extra
assert {"token", "p", "top", "read_block", "anchor", "block_fidelity", "pointer_fidelity",
        "entropy_bits"} <= set(extra["explanation"][0]), extra["explanation"][0]

# chat, whole and streamed: the streamed pieces make the same text for the same seed
messages = [{"role": "user", "content": "b1 b2"}]
whole = client.chat.completions.create(model=model, messages=messages, max_tokens=5, seed=3)
assert whole.choices[0].message.role == "assistant"
pieces = [c.choices[0].delta.content or "" for c in client.chat.completions.create(
    model=model, messages=messages, max_tokens=5, seed=3, stream=True) if c.choices]
assert "".join(pieces) == whole.choices[0].message.content, (pieces, whole)

# models, and errors as the client's exceptions naming the field
assert [m.id for m in client.models.list().data] == [model]
try:
    client.completions.create(model=model, prompt="a1", extra_body={"lambda": 2})
    raise AssertionError("lambda 2 accepted")
except openai.BadRequestError as e:
    assert e.status_code == 400 and "lambda" in str(e), e
try:
    client.completions.create(model="no-such-model", prompt="a1")
    raise AssertionError("unknown model accepted")
except openai.NotFoundError as e:
    assert e.status_code == 404, e
try:
    openai.OpenAI(base_url=base, api_key="wrong", max_retries=0).models.list()
    raise AssertionError("wrong key accepted")
except openai.AuthenticationError as e:
    assert e.status_code == 401, e
print("ok")
