"""quotad.integrations.langchain with the real ``langchain-core``: its fake chat model returns messages
carrying ``usage_metadata``; the handlers record them at quotad (no provider package, no network)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest

import quotad
from conftest import Server, Tenant, free_port

pytest.importorskip("langchain_core")

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, LLMResult  # noqa: E402

from quotad.integrations.langchain import AsyncQuotadCallbackHandler, QuotadCallbackHandler  # noqa: E402

USAGE: Any = {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150,
              "input_token_details": {"cache_read": 100}, "output_token_details": {"reasoning": 10}}


def chat(*usages: Any) -> GenericFakeChatModel:
    replies = [AIMessage(content="Hello!", usage_metadata=u, response_metadata={"model_name": "gpt-4o"})
               for u in usages]
    return GenericFakeChatModel(messages=iter(replies))


def test_handler_records_usage_metadata_for_the_metadata_user(client: quotad.Client) -> None:
    handler = QuotadCallbackHandler(client, user="default-user")
    reply = chat(USAGE).invoke("Hi", config={"callbacks": [handler], "metadata": {"quotad_user": "alice"}})
    assert reply.content == "Hello!"
    t = client.get_user_usage("alice").totals
    assert (t.input_tokens, t.output_tokens, t.cached_input_tokens, t.reasoning_tokens, t.requests) == \
        (120, 30, 100, 10, 1)
    assert list(client.get_user_usage("alice").models) == ["gpt-4o"]
    chat(USAGE).invoke("Hi", config={"callbacks": [handler]})
    assert client.get_user_usage("default-user").totals.input_tokens == 120
    assert handler.failures == 0


def test_a_repeated_callback_counts_once_and_token_usage_is_read(client: quotad.Client) -> None:
    handler = QuotadCallbackHandler(client, user="bob")
    run_id = uuid.uuid4()
    result = LLMResult(generations=[[ChatGeneration(message=AIMessage(content="x"))]],
                       llm_output={"token_usage": {"prompt_tokens": 14, "completion_tokens": 37,
                                                   "total_tokens": 51}, "model_name": "gpt-4o"})
    handler.on_llm_end(result, run_id=run_id)
    handler.on_llm_end(result, run_id=run_id)         # the same run delivered twice
    t = client.get_user_usage("bob").totals
    assert (t.input_tokens, t.output_tokens, t.requests) == (14, 37, 1)


def test_unreachable_quotad_is_counted_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with quotad.Client(f"http://127.0.0.1:{free_port()}", "qk_none", "t", retries=0, timeout=2) as down:
        handler = QuotadCallbackHandler(down, user="cleo")
        with caplog.at_level(logging.WARNING, logger="quotad.integrations.langchain"):
            reply = chat(USAGE).invoke("Hi", config={"callbacks": [handler]})
        assert reply.content == "Hello!" and handler.failures == 1
        assert "recording LangChain usage failed" in caplog.text
        strict = QuotadCallbackHandler(down, user="cleo", raise_on_error=True)
        with pytest.raises(quotad.QuotadConnectionError):
            chat(USAGE).invoke("Hi", config={"callbacks": [strict]})
        assert strict.failures == 1


def test_async_handler(server: Server, tenant: Tenant) -> None:
    async def body() -> None:
        async with quotad.AsyncClient(server.url, tenant.key, tenant.name) as q:
            handler = AsyncQuotadCallbackHandler(q)
            model = chat(USAGE, USAGE)
            await model.ainvoke("Hi", config={"callbacks": [handler], "metadata": {"quotad_user": "dora"}})
            await model.ainvoke("Hi", config={"callbacks": [handler], "metadata": {"quotad_user": "dora"}})
            t = (await q.get_user_usage("dora")).totals
            assert (t.input_tokens, t.output_tokens, t.requests) == (240, 60, 2)
            assert handler.failures == 0
            anonymous = AsyncQuotadCallbackHandler(q)          # no user anywhere: counted, not raised
            await chat(USAGE).ainvoke("Hi", config={"callbacks": [anonymous]})
            assert anonymous.failures == 1

    asyncio.run(asyncio.wait_for(body(), 30))
