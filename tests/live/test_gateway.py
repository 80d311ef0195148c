"""Gateway mode (issue 27, /work/gateway-spec.md): the real PyPI openai and anthropic SDKs against the release
binary's `/gateway` routes, whose upstream is the loopback stub of gateway_stub.py replaying ../shared/fixtures.

    QUOTAD_BIN=.build/release/quotad python3 -m pytest tests/live/test_gateway.py -p no:cacheprovider -q

One quotad (gateway on, upstream timeout 2 s) and one stub are shared by the module; every test uses users of
its own. Waits are bounded waits on conditions (support.wait_until), never sleeps.

Readings of the contract where it is silent (what an SDK user expects): an upstream stream cut mid-way reaches
the caller as a cut (the SDK raises, it does not see a clean end), and the reservation is settled either way;
the OpenAI 429's `quotad` member is the quota API's limit object (or `{"limit": object}`); an admin key works
with `X-Quotad-Tenant`; a key without scope `gateway` is a 403 `PermissionDeniedError`, an unknown one a 401.
"""
import json, threading, time

import pytest

openai = pytest.importorskip("openai", reason="the openai SDK is not installed (pip install -c clients/python/constraints.txt openai)")
anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is not installed (pip install -c clients/python/constraints.txt anthropic)")
import httpx  # noqa: E402  (a dependency of both SDKs)

from gateway_stub import CHAT, CHAT_STREAM, EMBEDDINGS_EXPECTED, MESSAGES, MESSAGES_STREAM, RESPONSES, is_usage_chunk  # noqa: E402
from gateway_support import (ANTHROPIC_UPSTREAM_KEY, OPENAI_UPSTREAM_KEY, TENANT, UPSTREAM_TIMEOUT_MS,  # noqa: E402
                             expected_cost, gateway_env, start_env, stop_env, tag, user)
from support import create_tenant_key, free_port, run_workers, wait_until  # noqa: E402

COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "reasoning_tokens")
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def env(module_launcher):
    e = start_env(module_launcher, module_launcher.directory)
    try:
        yield e
    finally:
        stop_env(e)


def only(stub, t):
    """The one request tagged `t` the stub saw, once the stub has finished answering it (bounded: 30 s)."""
    found = stub.find(t)
    assert len(found) == 1, f"the stub saw exactly one request tagged {t}: {found}"
    found[0].done.wait(30)
    return found[0]


def assert_recorded(env, u, fixture, model, expected=None):
    expected = expected or env.stub.expected(fixture)
    totals = env.usage(u)["totals"]
    got = {k: totals.get(k) for k in COUNTS}
    assert got == {k: expected[k] for k in COUNTS}, f"{fixture}: the user's totals equal the fixture's counts: {got} vs {expected}"
    assert totals["requests"] == 1 and totals["errors"] == 0, f"{fixture}: one call, no error: {totals}"
    assert totals["cost_nano_usd"] == expected_cost(model, expected), \
        f"{fixture}: priced exactly at {model}'s prices: {totals['cost_nano_usd']} vs {expected_cost(model, expected)}"
    assert env.usage(u)["reserved"]["tokens"] == 0, f"{fixture}: no reservation left: {env.usage(u)['reserved']}"


# ------------------------------------------------------------------------------------------- non-stream calls
def test_chat_completion_counts_and_prices_the_fixture(env):
    u, t = user(), tag()
    env.set_limit(u, 100000)   # RateLimit headers describe a limit: the user has one
    raw = env.openai().chat.completions.with_raw_response.create(
        model="gpt-4o", messages=HI, max_tokens=100, user=u, extra_headers={"x-stub-tag": t})
    chat = raw.parse()
    assert chat.usage.prompt_tokens == 14 and chat.choices[0].message.content.startswith("I'm unable"), f"the SDK parsed the fixture: {chat}"
    sent = only(env.stub, t)
    assert raw.http_response.content == bytes(sent.sent), "the JSON body reached the SDK byte for byte"
    for header in ("x-request-id", "x-quotad-event-id", "ratelimit", "ratelimit-policy"):
        assert raw.headers.get(header), f"answer header {header}: {dict(raw.headers)}"
    assert_recorded(env, u, CHAT, "gpt-4o")


def test_responses_counts_and_prices_the_fixture(env):
    u, t = user(), tag()
    r = env.openai().responses.create(model="o3-mini", input="Hi", max_output_tokens=2000,
                                      extra_headers={"x-stub-tag": t, "X-Quotad-User": u})
    assert r.usage.output_tokens_details.reasoning_tokens == 1024, f"the SDK parsed the answer: {r.usage}"
    only(env.stub, t)
    assert_recorded(env, u, RESPONSES, "o3-mini")


def test_embeddings_counts_and_prices(env):
    u, t = user(), tag()
    e = env.openai().embeddings.create(model="text-embedding-3-small", input="Hi there", user=u, extra_headers={"x-stub-tag": t})
    assert e.usage.prompt_tokens == 8 and len(e.data) == 1, f"the SDK parsed the answer: {e}"
    only(env.stub, t)
    totals = env.usage(u)["totals"]
    assert {k: totals[k] for k in COUNTS} == EMBEDDINGS_EXPECTED and totals["cost_nano_usd"] == expected_cost("text-embedding-3-small", EMBEDDINGS_EXPECTED), \
        f"embeddings: 8 input tokens priced exactly: {totals}"


def test_anthropic_message_counts_and_prices_the_fixture(env):
    u, t = user(), tag()
    m = env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=200, messages=HI, metadata={"user_id": u},
                                        extra_headers={"x-stub-tag": t})
    assert m.usage.input_tokens == 406 and m.usage.output_tokens == 50, f"the SDK parsed the fixture: {m.usage}"
    only(env.stub, t)
    assert_recorded(env, u, MESSAGES, "claude-sonnet-4-5")


def test_request_body_forwarded_byte_for_byte(env):
    u, t = user(), tag()
    body = b'{ "model":"gpt-4o",\n  "messages":[{"role":"user","content":"Hi \\u00e9"}], "max_tokens": 7, "user":"%s"}' % u.encode()
    answer = httpx.post(f"http://127.0.0.1:{env.quotad.port}/gateway/openai/v1/chat/completions", content=body, timeout=30,
                        headers={"Authorization": "Bearer " + env.key, "Content-Type": "application/json", "x-stub-tag": t})
    assert answer.status_code == 200, f"200: {answer.status_code} {answer.text[:300]}"
    assert only(env.stub, t).body == body, "the upstream received the caller's bytes unchanged"


def test_upstream_sees_the_provider_key_never_the_quotad_key(env):
    t1, t2, t3 = tag(), tag(), tag()
    env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=10, user=user(),
                                         extra_headers={"x-stub-tag": t1, "openai-beta": "assistants=v2"})
    env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=HI,
                                    extra_headers={"x-stub-tag": t2, "X-Quotad-User": user(), "anthropic-beta": "tools-2024-04-04"})
    env.openai().models.list(extra_headers={"x-stub-tag": t3})
    o, a, m = only(env.stub, t1), only(env.stub, t2), only(env.stub, t3)
    assert o.headers.get("authorization") == "Bearer " + OPENAI_UPSTREAM_KEY, f"OpenAI upstream: Bearer <provider key>: {o.headers}"
    assert m.headers.get("authorization") == "Bearer " + OPENAI_UPSTREAM_KEY and m.method == "GET" and m.path == "/v1/models", f"models: {m}"
    assert a.headers.get("x-api-key") == ANTHROPIC_UPSTREAM_KEY, f"Anthropic upstream: x-api-key <provider key>: {a.headers}"
    assert o.headers.get("openai-beta") == "assistants=v2" and a.headers.get("anthropic-beta") == "tools-2024-04-04" \
        and a.headers.get("anthropic-version"), "end-to-end headers forwarded"
    for e in (o, a, m):
        dump = json.dumps(e.headers) + e.body.decode()
        assert env.key not in dump, f"the quotad key never goes upstream: {e.headers}"
        assert not any(k.startswith("x-quotad-") for k in e.headers), f"x-quotad-* headers are not forwarded: {e.headers}"


def test_models_passed_through(env):
    ids = [m.id for m in env.openai().models.list()]
    assert ids == ["gpt-4o", "text-embedding-3-small"], f"GET models answers the upstream's list: {ids}"


def test_admin_key_with_tenant_header(env):
    u = user()
    env.openai(key=env.admin.key).chat.completions.create(
        model="gpt-4o", messages=HI, max_tokens=100, user=u, extra_headers={"X-Quotad-Tenant": TENANT})
    assert env.usage(u)["totals"]["requests"] == 1, "an admin key with X-Quotad-Tenant counts in that tenant"


# --------------------------------------------------------------------------------------------------- streams
def raw_stream(env, path, body, headers):
    """(status, the body's bytes as read) of a raw streaming POST through the gateway."""
    sent = {"Content-Type": "application/json", **headers}
    with httpx.stream("POST", f"http://127.0.0.1:{env.quotad.port}{path}", content=json.dumps(body).encode(), headers=sent, timeout=30) as r:
        return r.status_code, b"".join(r.iter_raw())


@pytest.mark.parametrize("caller_asks_usage", [False, True])
def test_chat_stream_byte_for_byte(env, caller_asks_usage):
    u, t = user(), tag()
    body = {"model": "gpt-4o", "messages": HI, "max_tokens": 100, "stream": True, "user": u}
    if caller_asks_usage:
        body["stream_options"] = {"include_usage": True}
    status, got = raw_stream(env, "/gateway/openai/v1/chat/completions", body,
                             {"Authorization": "Bearer " + env.key, "x-stub-tag": t, "x-stub-mode": "slow", "x-stub-delay-ms": "10"})
    assert status == 200, f"200: {status} {got[:300]!r}"
    sent = only(env.stub, t)
    assert (sent.json().get("stream_options") or {}).get("include_usage") is True, f"the upstream was asked for usage: {sent.body!r}"
    expected = b"".join(e for e in sent.events if caller_asks_usage or not is_usage_chunk(e))
    assert any(is_usage_chunk(e) for e in sent.events), "the stub sent its usage chunk"
    assert got == expected, f"the stream as the stub sent it{'' if caller_asks_usage else ', less the usage chunk'}:\n{got[-400:]!r}\nvs\n{expected[-400:]!r}"
    assert env.wait_settled(u, requests=1), f"committed and settled: {env.usage(u)['reserved']}"
    assert_recorded(env, u, CHAT_STREAM, "gpt-4o")


def test_chat_stream_parsed_by_the_sdk(env):
    u, t = user(), tag()
    chunks = list(env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, stream=True, user=u,
                                                       extra_headers={"x-stub-tag": t}))
    assert len(chunks) == 9 and all(c.usage is None for c in chunks), f"9 chunks, no usage chunk (not asked for): {chunks[-1]}"
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    args = "".join(c.choices[0].delta.tool_calls[0].function.arguments or "" for c in chunks if c.choices[0].delta.tool_calls)
    assert json.loads(args) == {"city": "New York City"}, f"the tool call's arguments: {args}"
    assert env.wait_settled(u, requests=1)
    assert_recorded(env, u, CHAT_STREAM, "gpt-4o")


def test_anthropic_stream_byte_for_byte_and_parsed(env):
    u, t1, t2 = user(), tag(), tag()
    body = {"model": "claude-3-opus-latest", "max_tokens": 100, "messages": HI, "stream": True, "metadata": {"user_id": u}}
    status, got = raw_stream(env, "/gateway/anthropic/v1/messages", body,
                             {"x-api-key": env.key, "anthropic-version": "2023-06-01", "x-stub-tag": t1})
    assert status == 200 and got == bytes(only(env.stub, t1).sent), f"the Anthropic stream byte for byte: {got[-300:]!r}"
    assert env.wait_settled(u, requests=1)
    assert_recorded(env, u, MESSAGES_STREAM, "claude-3-opus")
    u2 = user()
    with env.anthropic().messages.stream(model="claude-3-opus-latest", max_tokens=100, messages=HI, metadata={"user_id": u2},
                                         extra_headers={"x-stub-tag": t2, "x-stub-mode": "slow", "x-stub-delay-ms": "10"}) as s:
        final = s.get_final_message()
    assert final.content[0].text == "Hello there!" and final.usage.output_tokens == 6, f"the SDK accumulated the stream: {final}"
    assert env.wait_settled(u2, requests=1)
    assert_recorded(env, u2, MESSAGES_STREAM, "claude-3-opus")


def test_cut_stream_settles_the_reservation(env):
    u, t = user(), tag()
    try:   # the caller sees the stream end early, as an error or as a stream without its end (not asserted)
        list(env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, stream=True, user=u,
                                                  extra_headers={"x-stub-tag": t, "x-stub-mode": "cut"}))
    except (openai.APIError, httpx.HTTPError):
        pass
    assert only(env.stub, t).outcome == "cut"
    assert env.wait_settled(u), f"an upstream cut mid-stream leaves no reservation held: {env.usage(u)['reserved']}"


# --------------------------------------------------------------------------------------------- refusals, errors
def test_over_the_limit_rate_limit_error_and_no_upstream_call(env):
    u, t1, t2 = user(), tag(), tag()
    env.set_limit(u, 1000)
    env.record(u, 950)
    with pytest.raises(openai.RateLimitError) as raised:
        env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, user=u, extra_headers={"x-stub-tag": t1})
    error = raised.value
    body = error.body if isinstance(error.body, dict) else {}
    assert error.status_code == 429 and error.code == "quota_exceeded" and body.get("type") == "rate_limit_error", f"OpenAI shape: {error.body}"
    message = body.get("message") or ""
    assert "user" in message and "1000" in message.replace(",", ""), f"the message names the level and the limit: {message}"
    for header in ("retry-after", "ratelimit", "ratelimit-policy"):
        assert error.response.headers.get(header), f"429 header {header}: {dict(error.response.headers)}"
    full = error.response.json()
    quotad_part = full.get("quotad") or {}
    limit = quotad_part if "level" in quotad_part else quotad_part.get("limit")   # the limit object, or {"limit": it}
    assert isinstance(limit, dict) and limit.get("level") == "user", f"the quota API's limit object under 'quotad': {full}"
    with pytest.raises(anthropic.RateLimitError) as raised:
        env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HI, metadata={"user_id": u},
                                        extra_headers={"x-stub-tag": t2})
    assert raised.value.status_code == 429 and (raised.value.body or {}).get("error", {}).get("type") == "rate_limit_error", \
        f"Anthropic shape: {raised.value.body}"
    assert env.stub.find(t1) == [] and env.stub.find(t2) == [], "the upstream never saw a refused call"
    assert env.usage(u)["totals"]["input_tokens"] == 950 and env.reserved(u) == 0


def test_missing_user_is_a_400_saying_where_to_put_it(env):
    t1, t2 = tag(), tag()
    with pytest.raises(openai.BadRequestError) as raised:
        env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=10, extra_headers={"x-stub-tag": t1})
    message = (raised.value.body or {}).get("message") or ""
    rest = message.lower().replace("x-quotad-user", "")
    assert raised.value.status_code == 400 and "x-quotad-user" in message.lower() and "user" in rest, \
        f"OpenAI: the message names the header and the body's user field: {raised.value.body}"
    with pytest.raises(anthropic.BadRequestError) as raised:
        env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=HI, extra_headers={"x-stub-tag": t2})
    message = ((raised.value.body or {}).get("error") or {}).get("message") or ""
    assert raised.value.status_code == 400 and "x-quotad-user" in message.lower() and "metadata.user_id" in message, f"Anthropic: {raised.value.body}"
    assert env.stub.find(t1) == [] and env.stub.find(t2) == []


def test_keys_wrong_or_without_the_gateway_scope(env):
    with pytest.raises(openai.AuthenticationError):
        env.openai(key="qk_not-a-key").chat.completions.create(model="gpt-4o", messages=HI, user=user())
    with pytest.raises(anthropic.AuthenticationError):
        env.anthropic(key="qk_not-a-key").messages.create(model="claude-sonnet-4-5", max_tokens=5, messages=HI, metadata={"user_id": user()})
    plain = create_tenant_key(env.quotad, TENANT, ["usage:write"])
    with pytest.raises(openai.PermissionDeniedError):
        env.openai(key=plain).chat.completions.create(model="gpt-4o", messages=HI, user=user())


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_upstream_500_passed_through_and_released(env, sdk):
    u, t = user(), tag()
    with pytest.raises(openai.InternalServerError if sdk == "openai" else anthropic.InternalServerError) as raised:
        if sdk == "openai":
            env.openai().chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, user=u,
                                                 extra_headers={"x-stub-tag": t, "x-stub-mode": "error500"})
        else:
            env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HI, metadata={"user_id": u},
                                            extra_headers={"x-stub-tag": t, "x-stub-mode": "error500"})
    sent = only(env.stub, t)
    assert raised.value.status_code == 500 and raised.value.response.content == bytes(sent.sent), \
        f"status and body as the upstream's: {raised.value.response.content!r}"
    totals = env.usage(u)["totals"]
    assert env.reserved(u) == 0 and totals["input_tokens"] == 0 and totals["output_tokens"] == 0 and totals["errors"] == 1, \
        f"released, an error event with zero tokens: {totals}"


def test_upstream_400_passed_through(env):
    u, t = user(), tag()
    with pytest.raises(anthropic.BadRequestError) as raised:
        env.anthropic().messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HI, metadata={"user_id": u},
                                        extra_headers={"x-stub-tag": t, "x-stub-mode": "error400"})
    assert raised.value.response.content == bytes(only(env.stub, t).sent)
    assert env.reserved(u) == 0


def test_upstream_hang_is_a_504_within_the_timeout(env):
    u, t = user(), tag()
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as raised:
        env.openai(timeout=UPSTREAM_TIMEOUT_MS / 1000 + 60).chat.completions.create(
            model="gpt-4o", messages=HI, max_tokens=100, user=u, extra_headers={"x-stub-tag": t, "x-stub-mode": "hang"})
    elapsed = time.monotonic() - started
    assert raised.value.status_code == 504 and (raised.value.body or {}).get("type") == "api_error", f"504 api_error: {raised.value.body}"
    assert UPSTREAM_TIMEOUT_MS / 1000 * 0.9 <= elapsed < UPSTREAM_TIMEOUT_MS / 1000 + 20, f"answered after the configured timeout: {elapsed:.2f} s"
    assert env.reserved(u) == 0 and env.usage(u)["totals"]["input_tokens"] == 0


def test_upstream_down_is_a_502(env, module_launcher):
    dead = free_port()
    down = module_launcher.quotad(env.redis, **gateway_env(env.stub, module_launcher.directory,
                                                           QUOTAD_GATEWAY_OPENAI_BASE_URL=f"http://127.0.0.1:{dead}/v1",
                                                           QUOTAD_GATEWAY_ANTHROPIC_BASE_URL=f"http://127.0.0.1:{dead}"))
    u = user()
    with pytest.raises(openai.APIStatusError) as raised:
        env.openai(port=down.port).chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, user=u)
    assert raised.value.status_code == 502 and (raised.value.body or {}).get("type") == "api_error", f"OpenAI 502: {raised.value.body}"
    with pytest.raises(anthropic.APIStatusError) as raised:
        env.anthropic(port=down.port).messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=HI, metadata={"user_id": u})
    assert raised.value.status_code == 502 and (raised.value.body or {}).get("error", {}).get("type") == "api_error", f"Anthropic 502: {raised.value.body}"
    assert env.reserved(u) == 0 and env.usage(u)["totals"]["input_tokens"] == 0


def test_gateway_disabled_is_a_404(env, module_launcher):
    off = module_launcher.quotad(env.redis)
    for path in ("/gateway/openai/v1/chat/completions", "/gateway/anthropic/v1/messages"):
        answer = httpx.post(f"http://127.0.0.1:{off.port}{path}", json={"model": "gpt-4o", "messages": HI, "user": "x"},
                            headers={"Authorization": "Bearer " + env.key, "x-api-key": env.key}, timeout=30)
        assert answer.status_code == 404, f"gateway off: {path} → 404: {answer.status_code} {answer.text[:200]}"


# ------------------------------------------------------------------------------------------------ races, disconnects
def test_64_concurrent_streams_near_the_cap(env):
    users = [user() for _ in range(16)]
    limit, t = 250, tag()
    for u in users:
        env.set_limit(u, limit)
    outcomes, lock = [], threading.Lock()
    start = threading.Barrier(64, timeout=60)
    client = env.openai()

    def call(u):
        start.wait()
        try:
            chunks = list(client.chat.completions.create(model="gpt-4o", messages=HI, max_tokens=100, stream=True,
                                                        extra_headers={"X-Quotad-User": u, "x-stub-tag": t,
                                                                       "x-stub-mode": "slow", "x-stub-delay-ms": "5"}))
            result = ("ok", len(chunks))
        except openai.RateLimitError:
            result = ("429", 0)
        with lock:
            outcomes.append((u, result))
    errors = run_workers(64, [u for u in users for _ in range(4)], call)
    assert errors == [], f"every call answered or refused: {errors[:3]}"
    ok = [u for u, (kind, n) in outcomes if kind == "ok"]
    assert all(n == 9 for _, (kind, n) in outcomes if kind == "ok"), "every granted stream arrived whole"
    assert len(env.stub.find(t)) == len(ok), f"the upstream saw exactly the granted calls: {len(env.stub.find(t))} vs {len(ok)}"
    assert set(ok) == set(users), "every user got at least one call through"
    for u in users:
        assert env.wait_settled(u, requests=ok.count(u)), f"{u}: every reservation settled: {env.usage(u)['reserved']}"
        totals = env.usage(u)["totals"]
        assert totals["total_tokens"] <= limit, f"{u}: overspend 0: {totals['total_tokens']} > {limit}"
        assert totals["total_tokens"] == 60 * ok.count(u), f"{u}: 60 tokens per granted call: {totals}"
    tenant = env.admin.request("GET", f"/v1/tenants/{TENANT}/usage").json()
    assert (tenant.get("reserved") or {}).get("tokens") == 0 or wait_until(
        lambda: (env.admin.request("GET", f"/v1/tenants/{TENANT}/usage").json().get("reserved") or {}).get("tokens") == 0, 30), \
        f"the tenant holds nothing: {tenant.get('reserved')}"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_client_disconnect_mid_stream_leaves_no_reservation(env, provider):
    u, t = user(), tag()
    if provider == "openai":
        path, body, headers = "/gateway/openai/v1/chat/completions", {"model": "gpt-4o", "messages": HI, "max_tokens": 4000,
                                                                       "stream": True, "user": u}, {"Authorization": "Bearer " + env.key}
    else:
        path, body, headers = "/gateway/anthropic/v1/messages", {"model": "claude-sonnet-4-5", "messages": HI, "max_tokens": 4000,
                                                                  "stream": True, "metadata": {"user_id": u}}, \
            {"x-api-key": env.key, "anthropic-version": "2023-06-01"}
    headers.update({"Content-Type": "application/json", "x-stub-tag": t, "x-stub-mode": "long,slow", "x-stub-delay-ms": "20"})
    with httpx.stream("POST", f"http://127.0.0.1:{env.quotad.port}{path}", content=json.dumps(body).encode(), headers=headers, timeout=30) as r:
        assert r.status_code == 200
        read = b""
        for piece in r.iter_raw():
            read += piece
            if read.count(b"\n\n") >= 5:
                break
        assert wait_until(lambda: env.reserved(u) > 0, 10), "the stream holds a reservation while it runs"
    # the response is closed here: the caller went away after 5 events
    sent = only(env.stub, t)
    assert sent.done.wait(30) and sent.outcome == "aborted", f"the upstream request was cancelled: {sent}"
    assert env.wait_settled(u, requests=1), f"no reservation held after the disconnect: {env.usage(u)['reserved']}"
    totals = env.usage(u)["totals"]
    assert totals["estimated_requests"] == 1, f"what was streamed committed as an estimate: {totals}"
