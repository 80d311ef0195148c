"""Gateway mid-stream enforcement (issue 27): a user who runs out while a stream is running.

The stub streams 2,000 one-token deltas (`x-stub-mode: long`); the user's limit is far below that, and the
reservation starts with a small output cap, so the gateway must extend the hold in steps of
QUOTAD_GATEWAY_STREAM_EXTENSION_TOKENS (64 here) and, when an extension is refused, end the stream in the
provider's own shape: OpenAI `finish_reason: "length"` then `data: [DONE]`; Anthropic a `message_delta` with
`stop_reason: "max_tokens"` then `message_stop`. What was streamed is committed; the overshoot past the limit
is at most one extension step.

    QUOTAD_BIN=.build/release/quotad python3 -m pytest tests/live/test_gateway_midstream.py -p no:cacheprovider -q
"""
import json

import pytest

openai = pytest.importorskip("openai", reason="the openai SDK is not installed (pip install -c clients/python/constraints.txt openai)")
anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is not installed (pip install -c clients/python/constraints.txt anthropic)")

from gateway_stub import LONG_TOKEN  # noqa: E402
from gateway_support import start_env, stop_env, tag, user  # noqa: E402

STEP = 64
LIMIT = 600
CHUNKS = 2000
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def env(module_launcher):
    e = start_env(module_launcher, module_launcher.directory, QUOTAD_GATEWAY_STREAM_EXTENSION_TOKENS=STEP)
    try:
        yield e
    finally:
        stop_env(e)


def check_settled(env, u, received, figure):
    assert env.wait_settled(u, requests=1), f"the stream's call is committed and nothing is held: {env.usage(u)['reserved']}"
    totals = env.usage(u)["totals"]
    figure(f"mid-stream cap: limit {LIMIT}, step {STEP}, {received} deltas delivered, recorded {totals['total_tokens']} tokens "
           f"({totals['input_tokens']} in, {totals['output_tokens']} out)")
    assert received < CHUNKS, f"the stream was ended before the upstream's {CHUNKS} deltas: {received}"
    assert totals["total_tokens"] <= LIMIT + STEP, f"overshoot at most one extension step: {totals['total_tokens']} > {LIMIT} + {STEP}"
    assert totals["output_tokens"] >= received, f"what was streamed is committed: {totals['output_tokens']} < {received} delivered"
    assert totals["total_tokens"] > LIMIT - 2 * STEP - 100, f"the stream ran up to the cap: {totals['total_tokens']}"


@pytest.mark.parametrize("caller_asks_usage", [False, True])
def test_openai_stream_ends_at_the_cap_with_finish_reason_length(env, figure, caller_asks_usage):
    u, t = user(), tag()
    env.set_limit(u, LIMIT)
    options = {"stream_options": {"include_usage": True}} if caller_asks_usage else {}
    stream = env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=50, stream=True, user=u,
                                                  extra_headers={"x-stub-tag": t, "x-stub-mode": "long", "x-stub-chunks": str(CHUNKS)},
                                                  **options)
    chunks = list(stream)
    with_choices = [c for c in chunks if c.choices]
    received = sum((c.choices[0].delta.content or "").count(LONG_TOKEN) for c in with_choices)
    assert with_choices and with_choices[-1].choices[0].finish_reason == "length", \
        f"the last choice ends with finish_reason length: {with_choices[-1] if with_choices else chunks}"
    check_settled(env, u, received, figure)


def test_openai_raw_stream_ends_with_done(env):
    import httpx
    u, t = user(), tag()
    env.set_limit(u, LIMIT)
    with httpx.stream("POST", f"http://127.0.0.1:{env.quotad.port}/gateway/openai/v1/chat/completions", timeout=30,
                      content=json.dumps({"model": "gpt-4o", "messages": HI, "max_tokens": 50, "stream": True, "user": u}).encode(),
                      headers={"Authorization": "Bearer " + env.key, "Content-Type": "application/json", "x-stub-tag": t,
                               "x-stub-mode": "long", "x-stub-chunks": str(CHUNKS)}) as r:
        body = b"".join(r.iter_raw())
    events = [e for e in body.split(b"\n\n") if e.strip()]
    assert events[-1] == b"data: [DONE]", f"the stream ends with data: [DONE]: {events[-3:]}"
    finishing = [json.loads(e[6:]) for e in events if e.startswith(b"data: {") and b'"finish_reason":"length"' in e.replace(b" ", b"")]
    assert finishing, f"a chunk with finish_reason length: {events[-4:]}"
    assert env.wait_settled(u, requests=1)


def test_anthropic_stream_ends_at_the_cap_with_max_tokens(env, figure):
    u, t = user(), tag()
    env.set_limit(u, LIMIT)
    with env.anthropic().messages.stream(model="claude-sonnet-4-5", max_tokens=50, messages=HI, metadata={"user_id": u},
                                         extra_headers={"x-stub-tag": t, "x-stub-mode": "long", "x-stub-chunks": str(CHUNKS)}) as s:
        events = list(s)
        final = s.get_final_message()
    kinds = [e.type for e in events]
    assert final.stop_reason == "max_tokens", f"the message stops with stop_reason max_tokens: {final.stop_reason}"
    assert "message_stop" in kinds, f"the stream ends with message_stop: {kinds[-4:]}"
    received = "".join(b.text for b in final.content if b.type == "text").count(LONG_TOKEN)
    check_settled(env, u, received, figure)
