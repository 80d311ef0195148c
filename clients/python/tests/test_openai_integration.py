"""quotad.integrations.openai with the real ``openai`` package pointed at a loopback stub that replays an
OpenAI fixture body. Nothing leaves the machine: the stub listens on 127.0.0.1 and the OpenAI client's
base URL is the stub."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator

import pytest

import quotad
from conftest import Fixture, Server, Stub, Tenant
from quotad.integrations.openai import wrap

openai = pytest.importorskip("openai")


@pytest.fixture
def stub(fixture_by_id: dict[str, Fixture]) -> Iterator[Stub]:
    s = Stub(fixture_by_id["openai_chat_nonstream_no_prompt_details"].body,
             fixture_by_id["openai_chat_stream_include_usage"].body)
    yield s
    s.close()


MESSAGES = [{"role": "user", "content": "What's the weather like in San Francisco?"}]


def test_wrapped_create_commits_the_completion(stub: Stub, client: quotad.Client, tenant_admin: quotad.Client,
                                               fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "alice", tokens=10_000)
    llm = wrap(openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
               quotad=client, user="alice")
    completion = llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500)
    assert completion.usage.prompt_tokens == 14 and completion.choices[0].message.content
    assert len(stub.requests) == 1 and stub.requests[0][0] == "/v1/chat/completions"
    usage = client.get_user_usage("alice")
    expected = fixture_by_id["openai_chat_nonstream_no_prompt_details"].expected
    assert usage.totals.input_tokens == expected["input_tokens"]
    assert usage.totals.output_tokens == expected["output_tokens"]
    assert usage.totals.cost_nano_usd == 405_000 and usage.reserved.tokens == 0
    assert llm.api_key == "sk-test"   # everything else is the OpenAI client's


def test_over_the_limit_raises_before_openai_is_called(stub: Stub, client: quotad.Client,
                                                       tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "bob", tokens=100)
    llm = wrap(openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
               quotad=client, user="bob")
    with pytest.raises(quotad.QuotaExceeded) as caught:
        llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=1000)
    assert caught.value.level == "user" and caught.value.limit == "tokens"
    assert stub.requests == []
    assert client.get_user_usage("bob").totals.requests == 0


def test_provider_error_releases_the_reservation(stub: Stub, client: quotad.Client,
                                                 tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "cleo", tokens=10_000)
    stub.status = 500
    llm = wrap(openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
               quotad=client, user="cleo")
    with pytest.raises(openai.APIStatusError):
        llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500)
    assert len(stub.requests) == 1
    usage = client.get_user_usage("cleo")
    assert usage.reserved.tokens == 0 and usage.remaining.tokens == 10_000 and usage.totals.requests == 0


def test_async_wrapped_create(stub: Stub, server: Server, tenant: Tenant, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "dora", tokens=600)

    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            llm = wrap(openai.AsyncOpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
                       quotad=q, user="dora")
            completion = await llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500)
            assert completion.usage.completion_tokens == 37
            with pytest.raises(quotad.QuotaExceeded):
                await llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=600,
                                                  quotad_user="dora")
            assert len(stub.requests) == 1
            totals = (await q.get_user_usage("dora")).totals
            assert (totals.input_tokens, totals.output_tokens) == (14, 37)

    asyncio.run(asyncio.wait_for(body(), 30))


def test_wrapped_stream_commits_the_streamed_usage(stub: Stub, client: quotad.Client, tenant_admin: quotad.Client,
                                                  fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "eve", tokens=10_000)
    llm = wrap(openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
               quotad=client, user="eve")
    stream = llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500, stream=True)
    assert (client.get_user_usage("eve").reserved.tokens or 0) > 500   # held while the stream runs
    chunks = list(stream)
    assert len(chunks) >= 2 and chunks[-1].usage.prompt_tokens == 44
    assert stub.requests[0][1]["stream_options"] == {"include_usage": True}
    usage = client.get_user_usage("eve")
    expected = fixture_by_id["openai_chat_stream_include_usage"].expected
    assert (usage.totals.input_tokens, usage.totals.output_tokens) == (expected["input_tokens"], expected["output_tokens"])
    assert usage.reserved.tokens == 0 and usage.totals.estimated_requests == 0
    tenant_admin.put_quota("user", "eve", tokens=100)
    with pytest.raises(quotad.QuotaExceeded):
        llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500, stream=True)
    assert len(stub.requests) == 1


def test_async_wrapped_stream(stub: Stub, server: Server, tenant: Tenant, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "fay", tokens=10_000)

    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            llm = wrap(openai.AsyncOpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
                       quotad=q, user="fay")
            stream = await llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=500,
                                                       stream=True)
            chunks = [chunk async for chunk in stream]
            assert chunks[-1].usage.completion_tokens == 16
            usage = await q.get_user_usage("fay")
            assert (usage.totals.input_tokens, usage.totals.output_tokens) == (44, 16)
            assert usage.reserved.tokens == 0

    asyncio.run(asyncio.wait_for(body(), 30))


def test_stream_without_usage_commits_an_estimate(client: quotad.Client, tenant_admin: quotad.Client,
                                                  fixture_by_id: dict[str, Fixture]) -> None:
    """A provider that ignores include_usage: the wrapper commits an estimate, marked as estimated."""
    events = [line for line in str(fixture_by_id["openai_chat_stream_include_usage"].body).split("\n\n") if line]
    kept = [e for e in events if e.startswith("data: {") and not json.loads(e[6:]).get("usage")]
    kept = [e for e in kept if json.loads(e[6:]).get("choices")]
    assert kept and len(kept) < len(events)
    stub = Stub({}, "".join(e + "\n\n" for e in kept) + "data: [DONE]\n\n")
    try:
        tenant_admin.put_quota("user", "gus", tokens=10_000)
        llm = wrap(openai.OpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, timeout=10),
                   quotad=client, user="gus")
        chunks = list(llm.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=50, stream=True))
        assert len(chunks) == len(kept)
        usage = client.get_user_usage("gus")
        assert usage.totals.requests == 1 and usage.totals.estimated_requests == 1
        assert usage.totals.input_tokens > 0 and usage.reserved.tokens == 0
    finally:
        stub.close()
