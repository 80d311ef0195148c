"""quotad.integrations.anthropic with the real ``anthropic`` package pointed at a loopback stub that
replays the Anthropic fixture bodies (plain and streamed). Nothing leaves the machine."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator

import pytest

import quotad
from conftest import Fixture, Server, Stub, Tenant
from quotad.integrations.anthropic import wrap

anthropic = pytest.importorskip("anthropic")

PLAIN = "anthropic_messages_nonstream_cache_creation_object"
CACHED = "anthropic_messages_1h_cache_doc_example"
STREAM = "anthropic_messages_stream_basic"
ERROR = {"type": "error", "error": {"type": "api_error", "message": "down"}}
MESSAGES = [{"role": "user", "content": "Extract the items and the total."}]


@pytest.fixture
def stub(fixture_by_id: dict[str, Fixture]) -> Iterator[Stub]:
    s = Stub(fixture_by_id[PLAIN].body, str(fixture_by_id[STREAM].body), ERROR, prefix="")
    yield s
    s.close()


def sdk(stub: Stub) -> Any:
    return anthropic.Anthropic(base_url=stub.url, api_key="sk-ant-test", max_retries=0, timeout=10)


def async_sdk(stub: Stub) -> Any:
    return anthropic.AsyncAnthropic(base_url=stub.url, api_key="sk-ant-test", max_retries=0, timeout=10)


def counts(usage: quotad.UserUsage) -> tuple[int, ...]:
    t = usage.totals
    return (t.input_tokens, t.output_tokens, t.cached_input_tokens, t.cache_write_tokens, t.reasoning_tokens)


def expected(fixture: Fixture) -> tuple[int, ...]:
    e = fixture.expected
    return (e["input_tokens"], e["output_tokens"], e["cached_input_tokens"], e["cache_write_tokens"],
            e["reasoning_tokens"])


def test_create_commits_the_message(stub: Stub, client: quotad.Client, tenant_admin: quotad.Client,
                                    fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "alice", tokens=10_000)
    llm = wrap(sdk(stub), quotad=client, user="alice")
    message = llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=500, messages=MESSAGES,
                                  system="Answer in JSON.")
    assert message.usage.input_tokens == 406
    assert len(stub.requests) == 1 and stub.requests[0][0] == "/v1/messages"
    assert stub.requests[0][1]["system"] == "Answer in JSON."
    usage = client.get_user_usage("alice")
    assert counts(usage) == expected(fixture_by_id[PLAIN])
    assert usage.totals.requests == 1 and usage.reserved.tokens == 0
    assert llm.api_key == "sk-ant-test"   # everything else is the Anthropic client's


def test_cache_read_and_write_tokens_are_counted(stub: Stub, client: quotad.Client,
                                                 fixture_by_id: dict[str, Fixture]) -> None:
    """The doc example's usage (1800 cache reads, 148 + 100 cache writes) in a whole message."""
    stub.body = {**fixture_by_id[PLAIN].body, "usage": fixture_by_id[CACHED].body["usage"]}
    llm = wrap(sdk(stub), quotad=client, user="ann")
    message = llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=600, messages=MESSAGES)
    assert message.usage.cache_read_input_tokens == 1800
    assert counts(client.get_user_usage("ann")) == expected(fixture_by_id[CACHED])


def test_over_the_limit_raises_before_anthropic_is_called(stub: Stub, client: quotad.Client,
                                                          tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "bob", tokens=100)
    llm = wrap(sdk(stub), quotad=client, user="bob")
    with pytest.raises(quotad.QuotaExceeded) as caught:
        llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=1000, messages=MESSAGES)
    assert caught.value.level == "user" and caught.value.limit == "tokens"
    with pytest.raises(quotad.QuotaExceeded):
        llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=1000, messages=MESSAGES, stream=True)
    with pytest.raises(quotad.QuotaExceeded):
        with llm.messages.stream(model="claude-sonnet-4-5-20250929", max_tokens=1000, messages=MESSAGES):
            pass
    assert stub.requests == []
    usage = client.get_user_usage("bob")
    assert usage.totals.requests == 0 and usage.reserved.tokens == 0


def test_provider_error_releases_the_reservation(stub: Stub, client: quotad.Client,
                                                 tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "cleo", tokens=10_000)
    stub.status = 500
    llm = wrap(sdk(stub), quotad=client, user="cleo")
    with pytest.raises(anthropic.APIStatusError):
        llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=500, messages=MESSAGES)
    with pytest.raises(anthropic.APIStatusError):
        llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=500, messages=MESSAGES, stream=True)
    with pytest.raises(anthropic.APIStatusError):
        with llm.messages.stream(model="claude-sonnet-4-5-20250929", max_tokens=500, messages=MESSAGES):
            pass
    assert len(stub.requests) == 3
    usage = client.get_user_usage("cleo")
    assert usage.reserved.tokens == 0 and usage.remaining.tokens == 10_000 and usage.totals.requests == 0


def test_stream_true_and_the_stream_helper_count_the_stream(stub: Stub, client: quotad.Client,
                                                            tenant_admin: quotad.Client,
                                                            fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "eve", tokens=10_000)
    llm = wrap(sdk(stub), quotad=client, user="eve")
    events = llm.messages.create(model="claude-3-opus-latest", max_tokens=500, messages=MESSAGES, stream=True)
    assert (client.get_user_usage("eve").reserved.tokens or 0) > 500   # held while the stream runs
    kinds = [event.type for event in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    once = client.get_user_usage("eve")
    assert counts(once) == expected(fixture_by_id[STREAM])
    assert once.reserved.tokens == 0 and once.totals.estimated_requests == 0

    with llm.messages.stream(model="claude-3-opus-latest", max_tokens=500, messages=MESSAGES,
                             quotad_user="fay") as stream:
        assert "".join(stream.text_stream) == "Hello there!"
    assert counts(client.get_user_usage("fay")) == expected(fixture_by_id[STREAM])
    with llm.messages.stream(model="claude-3-opus-latest", max_tokens=500, messages=MESSAGES,
                             quotad_user="gus"):
        pass                          # left unread: the rest is read and the final message committed
    gus = client.get_user_usage("gus")
    assert counts(gus) == expected(fixture_by_id[STREAM]) and gus.reserved.tokens == 0
    assert all(request[1].get("stream") for request in stub.requests) and len(stub.requests) == 3


def test_async_create_and_streams(stub: Stub, server: Server, tenant: Tenant, tenant_admin: quotad.Client,
                                  fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "dora", tokens=10_000)

    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            llm = wrap(async_sdk(stub), quotad=q, user="dora")
            message = await llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=500,
                                                messages=MESSAGES)
            assert message.usage.output_tokens == 50
            assert counts(await q.get_user_usage("dora")) == expected(fixture_by_id[PLAIN])
            events = await llm.messages.create(model="claude-3-opus-latest", max_tokens=500, messages=MESSAGES,
                                               stream=True, quotad_user="hal")
            assert [event.type async for event in events][-1] == "message_stop"
            assert counts(await q.get_user_usage("hal")) == expected(fixture_by_id[STREAM])
            async with llm.messages.stream(model="claude-3-opus-latest", max_tokens=500, messages=MESSAGES,
                                           quotad_user="ida") as stream:
                assert [text async for text in stream.text_stream] == ["Hello", " there", "!"]
            ida = await q.get_user_usage("ida")
            assert counts(ida) == expected(fixture_by_id[STREAM]) and ida.reserved.tokens == 0
            tenant_admin.put_quota("user", "dora", tokens=100)
            with pytest.raises(quotad.QuotaExceeded):
                await llm.messages.create(model="claude-sonnet-4-5-20250929", max_tokens=500, messages=MESSAGES)
            assert len(stub.requests) == 3

    asyncio.run(asyncio.wait_for(body(), 30))
