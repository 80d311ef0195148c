"""The asyncio client: the core flow, each test bounded by ``asyncio.wait_for``."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

import httpx
import pytest

import quotad
from conftest import Fixture, Server, Tenant

LIMIT_S = 30


def run(test: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(test(), LIMIT_S))


def aclient(server: Server, tenant: Tenant, **options: Any) -> quotad.AsyncClient:
    return quotad.AsyncClient(server.url, tenant.key, tenant.name, retries=2, backoff=0.01, **options)


def test_async_record_fixtures_and_read(server: Server, tenant: Tenant, fixtures: list[Fixture]) -> None:
    async def body() -> None:
        async with aclient(server, tenant) as c:
            results = await asyncio.gather(*(c.record("ann", response=f.body, provider=f.provider)
                                             for f in fixtures))
            for fixture, result in zip(fixtures, results):
                assert result.recorded and result.usage is not None
                assert result.usage.input_tokens == fixture.expected["input_tokens"], fixture.id
                assert result.usage.output_tokens == fixture.expected["output_tokens"], fixture.id
                assert result.usage.reasoning_tokens == fixture.expected["reasoning_tokens"], fixture.id
            totals = (await c.get_user_usage("ann")).totals
            assert totals.requests == len(fixtures)
            assert totals.input_tokens == sum(f.expected["input_tokens"] for f in fixtures)
            assert totals.cost_nano_usd == sum(r.cost_nano_usd for r in results)
            again = await c.record("ann", response=fixtures[0].body, event_id=results[0].event_id)
            assert again.duplicate
    run(body)


class AsyncLoseFirstResponse(httpx.AsyncBaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.bodies: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(await request.aread())
        response = await self.inner.handle_async_request(request)
        if len(self.bodies) == 1:
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_async_retry_counts_once(server: Server, tenant: Tenant) -> None:
    async def body() -> None:
        transport = AsyncLoseFirstResponse()
        async with aclient(server, tenant, transport=transport) as c:
            result = await c.record("bea", usage={"input_tokens": 10, "output_tokens": 2}, model="gpt-4o")
            ids = [json.loads(b)["event_id"] for b in transport.bodies]
            assert len(ids) == 2 and ids[0] == ids[1] == result.event_id and result.duplicate
            assert (await c.get_user_usage("bea")).totals.requests == 1
    run(body)


def test_async_reservation_context(server: Server, tenant: Tenant, fixture_by_id: dict[str, Fixture]) -> None:
    fixture = fixture_by_id["anthropic_messages_nonstream_cache_creation_object"]

    async def body() -> None:
        async with quotad.AsyncClient(server.url, server.admin_key, tenant.name) as admin:
            await admin.put_quota("user", "cy", tokens=5000)
        async with aclient(server, tenant) as c:
            with pytest.raises(quotad.QuotaExceeded) as caught:
                async with c.reservation("cy", "claude-sonnet-4-5-20250929", input_tokens=4000,
                                         max_output_tokens=2000):
                    raise AssertionError("the block must not run")
            assert caught.value.level == "user" and caught.value.limit == "tokens"
            assert caught.value.requested == 6000 and caught.value.resets_at is not None
            with pytest.raises(RuntimeError):
                async with c.reservation("cy", "claude-sonnet-4-5-20250929", input_tokens=1000,
                                         max_output_tokens=1000):
                    assert (await c.get_user_usage("cy")).reserved.tokens == 2000
                    raise RuntimeError("provider down")
            assert (await c.get_user_usage("cy")).remaining.tokens == 5000
            async with c.reservation("cy", "claude-sonnet-4-5-20250929",
                                     messages=[{"role": "user", "content": "hi"}], max_tokens=1024) as r:
                r.commit(fixture.body)
            assert r.result is not None and r.result.recorded
            usage = await c.get_user_usage("cy")
            assert usage.reserved.tokens == 0
            assert usage.totals.input_tokens == 406 and usage.totals.output_tokens == 50
            assert usage.remaining.tokens == 5000 - 456
    run(body)


def test_async_events_follow_cursors(server: Server, tenant: Tenant) -> None:
    async def body() -> None:
        async with aclient(server, tenant) as c:
            ids = [(await c.record("dee", usage={"input_tokens": 1})).event_id for _ in range(5)]
            seen = [e.event_id async for e in c.events(page_size=2)]
            assert seen == ids
            with pytest.raises(quotad.NotFound):
                await c.release("res:dee:nothing")
            with pytest.raises(quotad.InvalidRequest):
                await c.events_page(since="not-a-cursor")
    run(body)
