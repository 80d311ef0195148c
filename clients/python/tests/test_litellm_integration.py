"""quotad.integrations.litellm with the real ``litellm`` package pointed at loopback stubs that replay
the OpenAI and Anthropic fixture bodies (plain and streamed). Nothing leaves the machine: LiteLLM uses
its bundled price map (LITELLM_LOCAL_MODEL_COST_MAP) and offline mode, and every api_base is a stub."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import os
import uuid
from decimal import Decimal
from typing import Any, Iterator

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")   # before litellm is imported
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
os.environ.setdefault("LITELLM_TELEMETRY", "False")

import quotad  # noqa: E402
from conftest import Fixture, Server, Stub, Tenant, free_port, wait_until  # noqa: E402

litellm = pytest.importorskip("litellm")

from litellm.integrations.custom_logger import CustomLogger  # noqa: E402

from quotad.integrations import litellm as qlitellm  # noqa: E402
from quotad.integrations.litellm import QuotadLogger, acompletion, completion, enforcer  # noqa: E402

OPENAI = "openai_chat_nonstream_no_prompt_details"
OPENAI_STREAM = "openai_chat_stream_include_usage"
ANTHROPIC = "anthropic_messages_nonstream_cache_creation_object"
CACHED = "anthropic_messages_1h_cache_doc_example"
ANTHROPIC_STREAM = "anthropic_messages_stream_basic"
SONNET = "anthropic/claude-sonnet-4-5-20250929"
MESSAGES = [{"role": "user", "content": "Extract the items and the total."}]
ANTHROPIC_ERROR = {"type": "error", "error": {"type": "api_error", "message": "down"}}
# litellm's own pydantic models warn (ReadOnly TypedDict items, pydantic 2.11 deprecations): not ours
pytestmark = pytest.mark.filterwarnings("ignore:.*ReadOnly.*:UserWarning",
                                        "ignore::pydantic.PydanticDeprecatedSince211")

# the 1 h cache doc example (2048 uncached + 1800 cache reads + 148 5-min and 100 1-h cache writes in,
# 503 out) at claude-sonnet-4-5's prices: $3 / $0.30 / $3.75 / $6 / $15 per 1M tokens
TRUE_COST = Decimal("0.015384")         # 2048×3 + 1800×0.3 + 148×3.75 + 100×6 + 503×15 (µ$)
NORMALISED_COST = Decimal("0.014973")   # (4096−1800)×3 + 1800×0.3 + 503×15: the cache writes as plain input


@pytest.fixture(autouse=True)
def _litellm_callbacks() -> Iterator[None]:
    """LiteLLM's callback lists are global: every test starts and ends with none."""
    litellm.logging_callback_manager._reset_all_callbacks()
    yield
    litellm.logging_callback_manager._reset_all_callbacks()


def _cached_body(fixture_by_id: dict[str, Fixture]) -> Any:
    """The Anthropic message fixture carrying the 1 h cache doc example's usage."""
    return {**fixture_by_id[ANTHROPIC].body, "usage": fixture_by_id[CACHED].body["usage"]}


def _cached_stream(fixture_by_id: dict[str, Fixture]) -> str:
    """The Anthropic stream fixture whose message_start carries the same usage (its twin), final output
    503 in message_delta."""
    events = [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_twin", "type": "message", "role": "assistant", "content": [],
            "model": "claude-sonnet-4-5-20250929", "stop_reason": None, "stop_sequence": None,
            "usage": {**fixture_by_id[CACHED].body["usage"], "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "{\"total\":14.0}"}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 503}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    return "".join(f"event: {kind}\ndata: {json.dumps(data)}\n\n" for kind, data in events)


@pytest.fixture
def openai_stub(fixture_by_id: dict[str, Fixture]) -> Iterator[Stub]:
    s = Stub(fixture_by_id[OPENAI].body, str(fixture_by_id[OPENAI_STREAM].body))
    yield s
    s.close()


@pytest.fixture
def anthropic_stub(fixture_by_id: dict[str, Fixture]) -> Iterator[Stub]:
    s = Stub(_cached_body(fixture_by_id), _cached_stream(fixture_by_id), ANTHROPIC_ERROR, prefix="")
    yield s
    s.close()


def openai_call(stub: Stub, **kwargs: Any) -> dict[str, Any]:
    return {"model": "openai/gpt-4o", "messages": MESSAGES, "api_base": stub.url, "api_key": "sk-test",
            "max_tokens": 500, "max_retries": 0, **kwargs}


def anthropic_call(stub: Stub, **kwargs: Any) -> dict[str, Any]:
    return {"model": SONNET, "messages": MESSAGES, "api_base": stub.url, "api_key": "sk-ant-test",
            "max_tokens": 600, "max_retries": 0, **kwargs}


def counts(usage: quotad.UserUsage) -> tuple[int, ...]:
    t = usage.totals
    return (t.input_tokens, t.output_tokens, t.cached_input_tokens, t.cache_write_tokens, t.reasoning_tokens)


def expected(fixture: Fixture) -> tuple[int, ...]:
    e = fixture.expected
    return (e["input_tokens"], e["output_tokens"], e["cached_input_tokens"], e["cache_write_tokens"],
            e["reasoning_tokens"])


def requests_of(client: quotad.Client, user: str, n: int) -> quotad.UserUsage:
    """LiteLLM runs sync success callbacks in a thread after the call returns: wait for the n-th."""
    wait_until(lambda: client.get_user_usage(user).totals.requests >= n, 10, f"{n} request(s) of {user}")
    return client.get_user_usage(user)


# --- recording ------------------------------------------------------------------------------------------

def test_logger_records_the_openai_and_anthropic_bodies(openai_stub: Stub, anthropic_stub: Stub,
                                                        client: quotad.Client,
                                                        fixture_by_id: dict[str, Fixture]) -> None:
    handler = QuotadLogger(client, user="default-user")
    litellm.callbacks = [handler]
    reply = litellm.completion(**openai_call(openai_stub, user="ann"))
    assert reply.usage.prompt_tokens == 14
    ann = requests_of(client, "ann", 1)
    assert counts(ann) == expected(fixture_by_id[OPENAI]) and ann.totals.cost_nano_usd == 405_000
    litellm.completion(**anthropic_call(anthropic_stub))
    default = requests_of(client, "default-user", 1)
    assert counts(default) == expected(fixture_by_id[CACHED])
    assert default.totals.cache_write_1h_tokens == 100 and default.totals.cost_usd == TRUE_COST
    wait_until(lambda: handler.answered == 2, 10, "quotad answering both of the logger's records")
    assert client.get_user_usage("default-user").totals.requests == 1 and handler.failures == 0


def test_normalised_usage_would_drop_the_cache_writes(anthropic_stub: Stub, client: quotad.Client,
                                                      fixture_by_id: dict[str, Fixture]) -> None:
    """LiteLLM's normalised response, as an OpenAI-shaped body, prices the 248 cache writes as plain
    input: $0.014973; the provider's original body (what the logger sends) gives the true $0.015384."""
    handler = QuotadLogger(client)
    litellm.callbacks = [handler]
    reply = litellm.completion(**anthropic_call(anthropic_stub, metadata={"quotad_user": "orig"}))
    normalised = client.record("normalised", response=reply.model_dump(), provider="openai")
    assert normalised.cost_usd == NORMALISED_COST and normalised.totals is not None
    assert normalised.totals.cache_write_tokens == 0
    original = requests_of(client, "orig", 1).totals
    assert original.cost_usd == TRUE_COST and original.cost_nano_usd == 15_384_000
    assert (original.input_tokens, original.cached_input_tokens, original.cache_write_tokens,
            original.cache_write_1h_tokens, original.output_tokens) == (4096, 1800, 248, 100, 503)
    # LiteLLM's own price of the call agrees with quotad's on the original body
    assert Decimal(str(reply._hidden_params["response_cost"])).quantize(Decimal("0.000001")) == TRUE_COST


def test_a_stream_counts_as_its_non_stream_twin(anthropic_stub: Stub, openai_stub: Stub, client: quotad.Client,
                                                fixture_by_id: dict[str, Fixture]) -> None:
    litellm.callbacks = [QuotadLogger(client)]
    litellm.completion(**anthropic_call(anthropic_stub, user="plain"))
    chunks = list(litellm.completion(**anthropic_call(anthropic_stub, user="streamed", stream=True)))
    assert chunks
    plain_, streamed = requests_of(client, "plain", 1), requests_of(client, "streamed", 1)
    assert counts(streamed) == counts(plain_) == expected(fixture_by_id[CACHED])
    assert streamed.totals.cache_write_1h_tokens == 100 and streamed.totals.cost_usd == TRUE_COST
    list(litellm.completion(**openai_call(openai_stub, user="ostream", stream=True)))
    assert counts(requests_of(client, "ostream", 1)) == expected(fixture_by_id[OPENAI_STREAM])


def test_async_logger_records_calls_and_streams(anthropic_stub: Stub, server: Server, tenant: Tenant,
                                                fixture_by_id: dict[str, Fixture]) -> None:
    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            handler = QuotadLogger(q, user="dora")
            litellm.callbacks = [handler]
            await litellm.acompletion(**anthropic_call(anthropic_stub))
            stream = await litellm.acompletion(**anthropic_call(anthropic_stub, stream=True, user="eli"))
            async for _ in stream:
                pass
            for user in ("dora", "eli"):
                for _ in range(250):
                    if (await q.get_user_usage(user)).totals.requests:
                        break
                    await asyncio.sleep(0.02)
                usage = await q.get_user_usage(user)
                assert counts(usage) == expected(fixture_by_id[CACHED]) and usage.totals.cost_usd == TRUE_COST
            assert handler.failures == 0

    asyncio.run(asyncio.wait_for(body(), 30))


def test_a_retried_record_counts_once(anthropic_stub: Stub, client: quotad.Client) -> None:
    """The event id is LiteLLM's litellm_call_id: a callback delivered twice is a duplicate."""
    captured: list[tuple[Any, Any]] = []

    class Capture(CustomLogger):
        def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            captured.append((kwargs, response_obj))

    litellm.callbacks = [Capture()]
    litellm.completion(**anthropic_call(anthropic_stub, user="fay"))
    wait_until(lambda: bool(captured), 10, "the success callback")
    handler = QuotadLogger(client)
    kwargs, response = captured[0]
    handler.log_success_event(kwargs, response, None, None)
    handler.log_success_event(copy.copy(kwargs), response, None, None)      # the same call again
    usage = client.get_user_usage("fay")
    assert usage.totals.requests == 1 and usage.totals.input_tokens == 4096 and handler.failures == 0


def test_failed_calls_record_an_error_event(anthropic_stub: Stub, client: quotad.Client) -> None:
    litellm.callbacks = [QuotadLogger(client, user="gus")]
    anthropic_stub.status = 500
    with pytest.raises(litellm.InternalServerError):
        litellm.completion(**anthropic_call(anthropic_stub))
    wait_until(lambda: client.get_user_usage("gus").totals.errors == 1, 10, "the error event")
    t = client.get_user_usage("gus").totals
    assert (t.requests, t.input_tokens, t.cost_nano_usd) == (0, 0, 0)


@pytest.mark.parametrize("user", ["ann+test@example.com", "Ann Smith", "team/ann", "a+b@c d/e"])
def test_user_ids_round_trip(user: str, anthropic_stub: Stub, client: quotad.Client) -> None:
    litellm.callbacks = [QuotadLogger(client)]
    litellm.completion(**anthropic_call(anthropic_stub, metadata={"quotad_user": user}))
    assert requests_of(client, user, 1).totals.input_tokens == 4096
    completion(quotad=client, user=user, **anthropic_call(anthropic_stub))
    assert requests_of(client, user, 2).totals.input_tokens == 2 * 4096
    report = client.report()
    assert isinstance(report, quotad.Report) and report.user(user) is not None


def test_unreachable_quotad_is_logged_counted_and_never_fails_a_recorded_call(
        anthropic_stub: Stub, caplog: pytest.LogCaptureFixture) -> None:
    with quotad.Client(f"http://127.0.0.1:{free_port()}", "qk_none", "t", retries=0, timeout=2) as down:
        handler = QuotadLogger(down, user="hal")
        litellm.callbacks = [handler]
        with caplog.at_level(logging.WARNING, logger="quotad.integrations.litellm"):
            reply = litellm.completion(**anthropic_call(anthropic_stub))
            wait_until(lambda: handler.failures == 1, 10, "the failure counted")
        assert reply.usage.prompt_tokens == 4096
        assert "record of a LiteLLM call failed" in caplog.text


def test_unreachable_quotad_fails_an_enforced_call_unless_fail_open(
        anthropic_stub: Stub, client: quotad.Client, caplog: pytest.LogCaptureFixture) -> None:
    before = enforcer.failures
    with quotad.Client(f"http://127.0.0.1:{free_port()}", "qk_none", "t", retries=0, timeout=2) as down:
        with caplog.at_level(logging.WARNING, logger="quotad.integrations.litellm"):
            with pytest.raises(quotad.QuotadConnectionError):
                completion(quotad=down, user="ivy", **anthropic_call(anthropic_stub))
            assert anthropic_stub.requests == [] and enforcer.failures == before + 1
            reply = completion(quotad=down, user="ivy", fail_open=True, **anthropic_call(anthropic_stub))
        assert reply.usage.prompt_tokens == 4096 and len(anthropic_stub.requests) == 1
        assert enforcer.failures == before + 3      # the reserve, then the best-effort record
        assert "reserving for a LiteLLM call failed" in caplog.text


# --- enforcement ----------------------------------------------------------------------------------------

def test_completion_reserves_then_commits(anthropic_stub: Stub, openai_stub: Stub, client: quotad.Client,
                                          tenant_admin: quotad.Client, fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "jan", tokens=100_000)
    reply = completion(quotad=client, user="jan", **anthropic_call(anthropic_stub))
    assert reply.usage.prompt_tokens == 4096
    jan = client.get_user_usage("jan")
    assert counts(jan) == expected(fixture_by_id[CACHED]) and jan.totals.cost_usd == TRUE_COST
    assert jan.reserved.tokens == 0 and jan.totals.requests == 1
    completion(quotad=client, user="kai", **openai_call(openai_stub))
    kai = client.get_user_usage("kai")
    assert counts(kai) == expected(fixture_by_id[OPENAI]) and kai.totals.cost_nano_usd == 405_000

    chunks = completion(quotad=client, user="lea", **openai_call(openai_stub, stream=True))
    assert (client.get_user_usage("lea").reserved.tokens or 0) > 0          # held while it streams
    assert len(list(chunks)) > 1
    lea = client.get_user_usage("lea")
    assert counts(lea) == expected(fixture_by_id[OPENAI_STREAM]) and lea.reserved.tokens == 0
    assert openai_stub.requests[-1][1]["stream_options"] == {"include_usage": True}
    list(completion(quotad=client, user="max", **anthropic_call(anthropic_stub, stream=True)))
    assert counts(client.get_user_usage("max")) == counts(jan)


def test_over_the_limit_raises_before_the_provider_sees_a_request(anthropic_stub: Stub, openai_stub: Stub,
                                                                  client: quotad.Client,
                                                                  tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "ned", tokens=100)
    with pytest.raises(quotad.QuotaExceeded) as caught:
        completion(quotad=client, user="ned", **anthropic_call(anthropic_stub))
    assert caught.value.level == "user" and caught.value.limit == "tokens"
    with pytest.raises(quotad.QuotaExceeded):
        completion(quotad=client, user="ned", **openai_call(openai_stub, stream=True))
    assert anthropic_stub.requests == [] and openai_stub.requests == []
    ned = client.get_user_usage("ned")
    assert ned.totals.requests == 0 and ned.reserved.tokens == 0


def test_a_provider_error_releases_the_reservation(anthropic_stub: Stub, client: quotad.Client,
                                                   tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "ola", tokens=10_000)
    anthropic_stub.status = 500
    with pytest.raises(litellm.InternalServerError):
        completion(quotad=client, user="ola", **anthropic_call(anthropic_stub))
    assert len(anthropic_stub.requests) == 1
    ola = client.get_user_usage("ola")
    assert ola.reserved.tokens == 0 and ola.remaining.tokens == 10_000 and ola.totals.requests == 0


def test_a_retried_wrapped_call_counts_once(anthropic_stub: Stub, client: quotad.Client) -> None:
    """A wrapped call retried with the same litellm_call_id (the reservation id) settles once."""
    call_id = str(uuid.uuid4())
    completion(quotad=client, user="pia", litellm_call_id=call_id, **anthropic_call(anthropic_stub))
    with pytest.raises(quotad.Conflict):                 # that reservation is settled
        completion(quotad=client, user="pia", litellm_call_id=call_id, **anthropic_call(anthropic_stub))
    assert client.get_user_usage("pia").totals.requests == 1


def test_acompletion_and_the_proxy_hook(anthropic_stub: Stub, server: Server, tenant: Tenant,
                                        tenant_admin: quotad.Client, fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "quin", tokens=100_000)
    tenant_admin.put_quota("user", "rex", tokens=100)

    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            reply = await acompletion(quotad=q, user="quin", **anthropic_call(anthropic_stub))
            assert reply.usage.prompt_tokens == 4096
            quin = await q.get_user_usage("quin")
            assert counts(quin) == expected(fixture_by_id[CACHED]) and quin.reserved.tokens == 0
            stream = await acompletion(quotad=q, user="sam", **anthropic_call(anthropic_stub, stream=True))
            async for _ in stream:
                pass
            assert counts(await q.get_user_usage("sam")) == counts(quin)
            with pytest.raises(quotad.QuotaExceeded):
                await acompletion(quotad=q, user="rex", **anthropic_call(anthropic_stub))
            assert len(anthropic_stub.requests) == 2

            # the proxy: the pre-call hook reserves, the success callback commits that reservation
            handler = QuotadLogger(q)
            litellm.callbacks = [handler]
            data = anthropic_call(anthropic_stub, user="tia")
            data = await handler.async_pre_call_hook(None, None, data, "completion")
            assert data["metadata"]["quotad_reservation_id"].startswith("res:tia:")
            assert ((await q.get_user_usage("tia")).reserved.tokens or 0) > 0
            await litellm.acompletion(**data)
            for _ in range(250):
                tia = await q.get_user_usage("tia")
                if tia.totals.requests:
                    break
                await asyncio.sleep(0.02)
            assert counts(tia) == counts(quin) and tia.reserved.tokens == 0 and tia.totals.cost_usd == TRUE_COST
            refused = anthropic_call(anthropic_stub, metadata={"quotad_user": "rex"})
            with pytest.raises(litellm.RateLimitError) as caught:
                await handler.async_pre_call_hook(None, None, refused, "completion")
            assert isinstance(caught.value.__cause__, quotad.QuotaExceeded)
            assert len(anthropic_stub.requests) == 3 and handler.failures == 0

    asyncio.run(asyncio.wait_for(body(), 30))


def test_canonical_usage_of_litellm_usage() -> None:
    usage = litellm.Usage(prompt_tokens=20, completion_tokens=1843,
                          completion_tokens_details={"reasoning_tokens": 448})
    assert qlitellm.canonical_usage(usage) == {"input_tokens": 20, "output_tokens": 1843, "reasoning_tokens": 448}
    assert qlitellm.canonical_usage(None) is None and qlitellm.canonical_usage({}) is None


def test_the_wrapper_and_the_logger_on_one_call_count_it_once(anthropic_stub: Stub, client: quotad.Client) -> None:
    """Both send the call's litellm_call_id as the event id: whichever comes second is a duplicate."""
    handler = QuotadLogger(client)
    litellm.callbacks = [handler]
    completion(quotad=client, user="uma", **anthropic_call(anthropic_stub))
    wait_until(lambda: handler.answered == 1, 10, "quotad answering the logger's record (a duplicate)")
    uma = client.get_user_usage("uma")
    assert uma.totals.requests == 1 and uma.totals.input_tokens == 4096 and uma.reserved.tokens == 0
    assert handler.failures == 0 and handler.unrecorded == 0
