"""Quota enforcement around the ``openai`` package's chat completions.

>>> import openai, quotad
>>> from quotad.integrations.openai import wrap
>>> llm = wrap(openai.OpenAI(), quotad=quotad.Client(...), user="alice")
>>> completion = llm.chat.completions.create(model="gpt-4o", messages=[...], max_tokens=500)

``wrap`` returns an object that behaves like the OpenAI client it wraps, except that
``chat.completions.create(...)`` first reserves quota for the request at quotad (raising
:class:`quotad.QuotaExceeded` before any request reaches OpenAI), then calls OpenAI, then commits the
completion's usage; when the OpenAI call raises, the reservation is released. Wrap an ``openai.OpenAI``
with a :class:`quotad.Client`, an ``openai.AsyncOpenAI`` with a :class:`quotad.AsyncClient`.

With ``stream=True`` the wrapper asks OpenAI for the stream's usage (``stream_options.include_usage``)
and returns an iterator (async iterator) of the chunks; when it is exhausted or closed, the chunks are
committed (or, when no chunk carried usage, an estimate from the messages and the text received).
Iterate it to the end or close it: an abandoned stream's reservation is held until it expires.

The ``openai`` package is not a dependency of ``quotad``: this module never imports it.
"""

from __future__ import annotations

import json
from typing import Any, AsyncIterator, Generic, Iterator, Mapping, TypeVar

from .._client import AsyncClient, Client
from .._ops import provider_json
from ._common import Namespace, async_items, open_async, open_sync, reserve_args, sync_items

__all__ = ["wrap", "QuotaOpenAI", "AsyncQuotaOpenAI"]

Q = TypeVar("Q", Client, AsyncClient)

# The members of a chat completion request that quotad reads for its estimate (the rest, such as
# extra_headers or timeout, are the SDK's own and may not be JSON).
_REQUEST_KEYS = ("model", "messages", "max_tokens", "max_completion_tokens", "tools", "functions")


def _reserve_args(kwargs: dict[str, Any], user: str | None, provider: str) -> dict[str, Any]:
    return reserve_args(kwargs, user, provider, _REQUEST_KEYS)


def _include_usage(kwargs: dict[str, Any]) -> None:
    """A wrapped stream asks OpenAI for its usage (the last chunk then carries it)."""
    options = kwargs.get("stream_options")
    kwargs["stream_options"] = {**(options if isinstance(options, Mapping) else {}), "include_usage": True}


class _StreamUsage:
    """Collects a stream's chunks; at its end, what to commit: the chunks as the SSE text quotad reads
    (when a chunk carried usage), else an estimate from the request's messages and the text produced."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.messages = request.get("messages")
        self.chunks: list[Any] = []
        self.text: list[str] = []
        self.reported = False

    def add(self, chunk: Any) -> None:
        data = provider_json(chunk)
        self.chunks.append(data)
        if not isinstance(data, Mapping):
            return
        self.reported = self.reported or bool(data.get("usage"))
        for choice in data.get("choices") or ():
            content = (choice.get("delta") or {}).get("content") if isinstance(choice, Mapping) else None
            if isinstance(content, str):
                self.text.append(content)

    def commit_args(self) -> dict[str, Any]:
        if self.reported:
            sse = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in self.chunks) + "data: [DONE]\n\n"
            return {"response": sse}
        return {"usage": "estimate", "messages": self.messages, "output_text": "".join(self.text)}


class _Wrapped(Generic[Q]):
    """The OpenAI client, with ``chat.completions.create`` replaced by the subclass's ``_create``."""

    def __init__(self, client: Any, quotad: Q, user: str | None = None, provider: str = "openai") -> None:
        self._client, self._user, self._provider = client, user, provider
        self._quotad: Q = quotad
        completions = Namespace(client.chat.completions, create=getattr(self, "_create"))
        self.chat = Namespace(client.chat, completions=completions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class QuotaOpenAI(_Wrapped[Client]):
    """An ``openai.OpenAI`` whose ``chat.completions.create`` is held against quotad (see the module)."""

    def _create(self, **kwargs: Any) -> Any:
        args = _reserve_args(kwargs, self._user, self._provider)
        if kwargs.get("stream"):
            return self._create_stream(args, kwargs)
        with self._quotad.reservation(**args) as r:
            completion = self._client.chat.completions.create(**kwargs)
            r.commit(completion)
        return completion

    def _create_stream(self, args: dict[str, Any], kwargs: dict[str, Any]) -> Iterator[Any]:
        _include_usage(kwargs)
        r = self._quotad.reservation(**args)
        stream = open_sync(r, lambda: self._client.chat.completions.create(**kwargs))
        return sync_items(r, stream, _StreamUsage(args["request"]))


class AsyncQuotaOpenAI(_Wrapped[AsyncClient]):
    """An ``openai.AsyncOpenAI`` whose ``chat.completions.create`` is held against quotad."""

    async def _create(self, **kwargs: Any) -> Any:
        args = _reserve_args(kwargs, self._user, self._provider)
        if kwargs.get("stream"):
            return await self._create_stream(args, kwargs)
        async with self._quotad.reservation(**args) as r:
            completion = await self._client.chat.completions.create(**kwargs)
            r.commit(completion)
        return completion

    async def _create_stream(self, args: dict[str, Any], kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        _include_usage(kwargs)
        r = self._quotad.reservation(**args)
        stream = await open_async(r, lambda: self._client.chat.completions.create(**kwargs))
        return async_items(r, stream, _StreamUsage(args["request"]))


def wrap(client: Any, *, quotad: Client | AsyncClient, user: str | None = None, provider: str = "openai"
         ) -> Any:
    """Wrap an ``openai.OpenAI`` (with a :class:`quotad.Client`) or an ``openai.AsyncOpenAI`` (with a
    :class:`quotad.AsyncClient`). ``user`` is the quotad user every call is charged to (a call may
    name another with ``quotad_user=``); ``provider`` is ``openai`` (or ``azure_openai``, ``mistral``,
    ``openai_compatible`` for OpenAI-shaped APIs)."""
    if isinstance(quotad, AsyncClient):
        return AsyncQuotaOpenAI(client, quotad, user, provider)
    return QuotaOpenAI(client, quotad, user, provider)
